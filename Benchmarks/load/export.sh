#!/usr/bin/env bash
# What an export of EVENTS events (default 1,000,000) costs in memory and time.
#
# Seeds a release `versioner serve` (--fsync none) through POST /import/, in files of 50,000
# events (a started and a completed event per deployment, 1,000 products, 5 environments), then
# streams GET /events/export to /dev/null while sampling the server's resident memory every
# 20 ms, once a snapshot has saved the import: the target is that the export holds at most
# 50 MB more than before it.
#   EVENTS=1000000 bash Benchmarks/load/export.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
events=${EVENTS:-1000000}
port=${PORT:-18911}
serve_temporary "$port" --fsync none --max-import-size 67108864 --snapshot-every 1000000000 --snapshot-interval 86400
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$work"' EXIT

echo "importing $events events…"
started=$(date +%s.%N)
per_file=50000
for (( first = 0; first < events; first += per_file )); do
  awk -v first="$first" -v count="$(( events - first < per_file ? events - first : per_file ))" 'BEGIN {
    for (n = first / 2; n < (first + count) / 2; n++) {
      product = n % 1000; environment = (n / 1000) % 5
      body = sprintf("\"product_name\": \"service-%d\", \"version\": \"1.%d\", \"environment_name\": \"env-%d\", \"invoke_id\": \"run-%d\", \"scm_sha\": \"%040x\", \"deployed_by\": \"ci-bot\"", product, n, environment, n, n)
      printf "{\"type\": \"deployment\", \"event\": {%s, \"status\": \"started\"}}\n", body
      printf "{\"type\": \"deployment\", \"event\": {%s, \"status\": \"success\"}}\n", body
    }
  }' >"$work/part.ndjson"
  curl -sf -X POST -H "Authorization: Bearer $key" -H "Content-Type: application/x-ndjson" \
    --data-binary "@$work/part.ndjson" "localhost:$port/import/" >/dev/null
done
echo "imported in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"

rss() { awk '/VmRSS/ { print $2 }' "/proc/$pid/status"; }
snapshots() { curl -sf -H "Authorization: Bearer $key" "localhost:$port/metrics" | awk '/^versioner_snapshots_total/ { total += $2 } END { print total + 0 }'; }
# The import is saved in one snapshot taken by hand now. Periodic snapshots are set far off
# (--snapshot-every, --snapshot-interval above): one of 1 M events holds hundreds of MB for
# seconds while it encodes (what snapshot.sh measures), and one started by the import's last
# changes would overlap the sample, which is to be the export's alone.
curl -sf -X POST -H "Authorization: Bearer $key" "localhost:$port/admin/snapshots" >/dev/null
sleep 1
snapshots_before=$(snapshots)
before=$(rss)
( peak=$before; while [ ! -e "$work/done" ]; do now=$(rss); (( now > peak )) && peak=$now; sleep 0.02; done; echo "$peak" >"$work/peak" ) &
sampler=$!
started=$(date +%s.%N)
bytes=$(curl -sf -o /dev/null -w '%{size_download}' -H "Authorization: Bearer $key" "localhost:$port/events/export")
seconds=$(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
touch "$work/done"; wait $sampler
lines=$(curl -sf -H "Authorization: Bearer $key" "localhost:$port/events/export?product=service-1" | wc -l)
peak=$(cat "$work/peak")
echo "snapshots written: $snapshots_before before the export, $(snapshots) after"
echo "export: $bytes bytes in $seconds s; service-1 alone: $lines lines"
echo "resident memory: $((before / 1024)) MiB before, $((peak / 1024)) MiB at the peak of the export: +$(( (peak - before) / 1024 )) MiB"
