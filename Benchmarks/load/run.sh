#!/usr/bin/env bash
# Load figures for Versioner in one run: a release `versioner serve` on a temporary data
# directory (--fsync always), driven by wrk on the same machine. Prints req/s, p50 and p99 of
# each figure at 1 and 64 connections, each figure's throughput as a ratio of GET /health in
# the same run, and the server's resident memory per stored deployment.
#   DURATION=10 bash Benchmarks/load/run.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
port=${PORT:-18900}

serve_temporary "$port"
idle_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")

declare -A rps
posted=0
# run NAME CONNECTIONS PATH [LUA [HEADER...]]
run() {
  local name=$1 connections=$2 path=$3 script=${4:-$here/report.lua}
  local extra=()
  for header in "${@:5}"; do extra+=(-H "$header"); done
  local threads=$(( connections < 2 ? 1 : 2 ))
  local line
  line=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" "${extra[@]}" \
    -s "$script" "http://127.0.0.1:$port$path" | grep '^RESULT')
  eval "local ${line#RESULT }"
  local rate
  rate=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  rps[$name/$connections]=$rate
  [[ $name == POST* ]] && posted=$(( posted + requests - non2xx ))
  local ratio
  ratio=$(awk -v a="$rate" -v b="${rps[health/$connections]:-$rate}" 'BEGIN { printf "%.2f", a / b }')
  printf '%-34s %3s conns  %8s req/s  p50 %7.3f ms  p99 %7.3f ms  %5s x health  errors %s non-2xx %s\n' \
    "$name" "$connections" "$rate" "$(awk -v v="$p50_us" 'BEGIN{print v/1000}')" "$(awk -v v="$p99_us" 'BEGIN{print v/1000}')" \
    "$ratio" "$errors" "$non2xx"
}

echo "Versioner load figures — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${duration}s each"
for connections in 1 64; do
  run health "$connections" /health
  run "POST /deployment-events/" "$connections" /deployment-events/ "$here/post-deployment.lua"
  run "GET /state/" "$connections" /state/
  run "GET /state/ gzip" "$connections" /state/ "$here/report.lua" "Accept-Encoding: gzip, deflate"
  # Revalidation: the tag of the answer as it is now (nothing is written during the GET runs).
  etag=$(curl -s -o /dev/null -D - -H "Authorization: Bearer $key" -H "Accept-Encoding: gzip" "localhost:$port/state/" \
    | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r')
  run "GET /state/ If-None-Match (304)" "$connections" /state/ "$here/report.lua" "Accept-Encoding: gzip" "If-None-Match: $etag"
  run "GET /deployments/?product=&limit=50" "$connections" "/deployments/?product=service-7&limit=50"
done

rss_kb=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
echo "resident memory: $((rss_kb / 1024)) MiB holding $posted deployments" \
  "($(awk -v k="$rss_kb" -v c="$posted" 'BEGIN { printf "%.0f", k * 1024 / c }') bytes per deployment, process baseline included;" \
  "$(awk -v k="$rss_kb" -v i="$idle_kb" -v c="$posted" 'BEGIN { printf "%.0f", (k - i) * 1024 / c }') bytes over the $((idle_kb / 1024)) MiB of the idle server)"
