#!/usr/bin/env bash
# Restart time and snapshot size with EVENTS events (default 1,000,000).
#
# Seeds a release `versioner serve` on a temporary data directory through HTTP (wrk, 64
# connections, one new deployment per event), kills it with SIGKILL so that a journal tail
# remains after the last periodic snapshot, restarts it, and measures the time from the start
# of the process to the first 200 from /ready, with the recovery time the server logs.
# Then compares a snapshot of that state with the JSON of the same data (every deployment and
# every event as GET /deployments/ and GET /events/ answer them).
#   EVENTS=1000000 bash Benchmarks/load/restart.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
events=${EVENTS:-1000000}
port=${PORT:-18901}

data=$(mktemp -d)
log=$(mktemp)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$data" "$log"; }
trap cleanup EXIT
wait_ready() { until curl -sf "localhost:$port/ready" >/dev/null; do sleep 0.01; done; }

"$bin" serve --port "$port" --data-dir "$data" --fsync always --log-level info >"$log" 2>&1 &
pid=$!
wait_ready
echo "seeding $events deployment events…"
started=$(date +%s.%N)
seed "$port" "$events"
echo "seeded in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
"$bin" journal verify --data-dir "$data" | tail -2
"$bin" snapshot list --data-dir "$data" | head -1

: >"$log"
started=$(date +%s.%N)
"$bin" serve --port "$port" --data-dir "$data" --log-level info >"$log" 2>&1 &
pid=$!
wait_ready
ready=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
grep -o 'recovery.duration_ms=[0-9.]*\|recovery.events_replayed=[0-9]*\|recovery.snapshot_sequence=[0-9]*' "$log" | tr '\n' ' '; echo
echo "restart: process start to /ready 200 in $ready s"
rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
echo "resident memory after recovery: $((rss_kb / 1024)) MiB"

snapshot=$(curl -sf -X POST -H "Authorization: Bearer $key" "localhost:$port/admin/snapshots/")
echo "snapshot: $snapshot"
json_bytes=0
for list in deployments events; do
  next="/$list/?limit=1000"
  while [ -n "$next" ]; do
    headers=$(mktemp)
    bytes=$(curl -s -D "$headers" -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $key" "localhost:$port$next")
    json_bytes=$(( json_bytes + bytes ))
    next=$(grep -i '^link:' "$headers" | sed -E 's/.*<([^>]*)>.*/\1/' | tr -d '\r' || true)
    rm -f "$headers"
  done
done
snapshot_bytes=$(echo "$snapshot" | sed -E 's/.*"bytes":([0-9]+).*/\1/')
raw_bytes=$(echo "$snapshot" | sed -E 's/.*"uncompressed_bytes":([0-9]+).*/\1/')
echo "JSON of every deployment and event: $json_bytes bytes; snapshot: $snapshot_bytes bytes" \
  "($raw_bytes uncompressed); JSON / snapshot = $(awk -v j="$json_bytes" -v s="$snapshot_bytes" 'BEGIN { printf "%.1f", j / s }')"
