#!/usr/bin/env bash
# The high-availability harness as a benchmark: three release nodes on a PostgreSQL primary with
# a synchronous standby, ROUNDS rounds (20 by default) of each fault kind — kill -9 of the owner,
# SIGSTOP of the owner past the heartbeat limit, kill -9 of the primary and promotion of the
# standby, restarts with and without snapshots — with nothing acknowledged lost in any round,
# and the time writes were unavailable after each fault (p50 / p95 / max).
#   ROUNDS=20 bash Benchmarks/ha/run.sh
# Then the ingest of one node on each journal, alternated in one run:
#   python3 Benchmarks/ha/ingest.py --rounds 3 [--standby]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .build/release/versioner ] || swift build -c release --product versioner
VERSIONER_BIN=.build/release/versioner exec python3 Tests/live/ha.py --rounds "${ROUNDS:-20}" ${FAULTS:+--faults "$FAULTS"}
