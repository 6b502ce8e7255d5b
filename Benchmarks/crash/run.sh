#!/usr/bin/env bash
# More rounds of the kill -9 crash test than the suite runs: each round starts the real server
# twice on one data directory, kills it with SIGKILL at a random moment of a 6-client ingest,
# restarts it and checks that every event answered 200 is there.
#   ROUNDS=20 bash Benchmarks/crash/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${ROUNDS:-20}
swift build --build-tests
passed=0
for round in $(seq "$rounds"); do
  if swift test --skip-build --filter CrashTests >/tmp/versioner-crash-$$.log 2>&1; then
    passed=$((passed + 1))
  else
    echo "round $round failed:"; grep -E '✘' /tmp/versioner-crash-$$.log | head -20
  fi
done
rm -f /tmp/versioner-crash-$$.log
echo "$((passed * 3)) passed, $(((rounds - passed) * 3)) failed"
[ "$passed" -eq "$rounds" ]
