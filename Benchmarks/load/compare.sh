#!/usr/bin/env bash
# Two builds of `versioner` against each other, alternated ROUNDS times so that the machine's
# drift falls on both alike: each round starts each binary on a fresh data directory and runs,
# at 64 connections for DURATION seconds each, GET /health (the first route of the table),
# GET /api-keys/ (one of the last), a 404 and durable POST /deployment-events/.
#   bash Benchmarks/load/compare.sh /tmp/versioner-before .build/release/versioner
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ $# -eq 2 ] || { echo "usage: compare.sh BINARY_A BINARY_B" >&2; exit 2; }
rounds=${ROUNDS:-3}
duration=${DURATION:-6}
port=${PORT:-18960}

measure() {
  wrk -t2 -c64 -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" -s "${2:-$here/report.lua}" \
    "http://127.0.0.1:$port$1" | grep '^RESULT' | rate
}
echo "Versioner A/B — $(date -u +%Y-%m-%dT%H:%M:%SZ), A=$1, B=$2, ${duration}s each, 64 conns"
for round in $(seq "$rounds"); do
  for side in A B; do
    binary=$1
    [ "$side" = B ] && binary=$2
    port=$((port + 1))
    data=$(mktemp -d)
    "$binary" serve --port "$port" --data-dir "$data" --fsync always --log-level warning --snapshot-every 1000000000 &
    pid=$!
    for _ in $(seq 600); do curl -sf "localhost:$port/ready" >/dev/null && break; sleep 0.05; done
    health=$(measure /health)
    keys=$(measure /api-keys/)
    missing=$(measure /no/such/path)
    posts=$(measure /deployment-events/ "$here/post-deployment.lua")
    kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$data"
    printf 'round %s %s  /health %6s  /api-keys/ %6s  404 %6s  POST %6s req/s\n' "$round" "$side" "$health" "$keys" "$missing" "$posts"
  done
done
