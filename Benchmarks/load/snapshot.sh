#!/usr/bin/env bash
# Ingest latency while a snapshot of a large state is written, against the same without one.
#
# Seeds a release `versioner serve` (--fsync always, automatic snapshots off) with EVENTS
# deployment events (default 1,000,000: one deployment each) through HTTP, then runs durable
# POST /deployment-events/ at CONNECTIONS (default 64) for DURATION seconds twice: once alone,
# once while POST /admin/snapshots/ writes a snapshot of the whole state (a background thread,
# as the periodic ones are). Prints both p50/p99 and their ratio, and how long the snapshot took.
#   EVENTS=1000000 bash Benchmarks/load/snapshot.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
events=${EVENTS:-1000000}
connections=${CONNECTIONS:-64}
duration=${DURATION:-5}
port=${PORT:-18902}

serve_temporary "$port" --snapshot-every 1000000000 --snapshot-interval 1000000

echo "seeding $events deployment events…"
seed "$port" "$events" >/dev/null

# ingest NAME: one wrk run of durable POSTs; prints its line and leaves p99 in $p99_us.
ingest() {
  local line
  line=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" \
    -s "$here/post-deployment.lua" "http://127.0.0.1:$port/deployment-events/" | grep '^RESULT')
  eval "${line#RESULT }"
  printf '%-28s %3s conns  %8.0f req/s  p50 %7.3f ms  p99 %7.3f ms  non-2xx %s\n' "$1" "$connections" \
    "$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { print r / (d / 1e6) }')" \
    "$(awk -v v="$p50_us" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p99_us" 'BEGIN { print v / 1000 }')" "$non2xx"
}

ingest "ingest, no snapshot"
quiet_p99=$p99_us
snapshot_log=$(mktemp)
( started=$(date +%s.%N)
  curl -sf -X POST -H "Authorization: Bearer $key" "localhost:$port/admin/snapshots/" >"$snapshot_log"
  echo " took $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s" >>"$snapshot_log" ) &
snapshot_pid=$!
ingest "ingest, snapshot running"
wait $snapshot_pid
echo "snapshot: $(tr -d '\n' <"$snapshot_log")"
rm -f "$snapshot_log"
echo "p99 while the snapshot runs / p99 without: $(awk -v a="$p99_us" -v b="$quiet_p99" 'BEGIN { printf "%.2f", a / b }')"
