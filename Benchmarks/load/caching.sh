#!/usr/bin/env bash
# Revalidation and compression of a large answer against GET /health, alternated ROUNDS times
# so that the machine's drift falls on all three alike: seeds EVENTS deployments (1 000 products
# × 5 environments, snapshots off), then at 64 connections: /health, GET /state/ with
# If-None-Match of its current tag (304), GET /state/ with Accept-Encoding: gzip.
#   ROUNDS=3 DURATION=8 EVENTS=100000 bash Benchmarks/load/caching.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-8}
events=${EVENTS:-100000}
port=${PORT:-18911}

serve_temporary "$port" --snapshot-every 1000000000
seed "$port" "$events" >/dev/null

get() { curl -s -H "Authorization: Bearer $key" "$@" "localhost:$port/state/"; }
etag=$(get -o /dev/null -D - -H "Accept-Encoding: gzip" | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r')
echo "Versioner caching figures — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
  "$events deployments, ${duration}s each, 64 conns"
echo "GET /state/: $(get | wc -c) bytes as they are, $(get -H 'Accept-Encoding: gzip' | wc -c) gzip"
for round in $(seq "$rounds"); do
  declare -A rate=()
  for what in health 304 gzip; do
    case $what in
      health) args=("http://127.0.0.1:$port/health") ;;
      304) args=(-H "Accept-Encoding: gzip" -H "If-None-Match: $etag" "http://127.0.0.1:$port/state/") ;;
      gzip) args=(-H "Accept-Encoding: gzip" "http://127.0.0.1:$port/state/") ;;
    esac
    line=$(wrk -t2 -c64 -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" -s "$here/report.lua" "${args[@]}" \
      | grep '^RESULT')
    eval "${line#RESULT }"
    rate[$what]=$(awk -v r="$requests" -v d="$duration_us" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    [ "$non2xx" = 0 ] && [ "$errors" = 0 ] || echo "round $round $what: $errors errors, $non2xx non-2xx"
  done
  printf 'round %s  health %6s req/s   304 %6s req/s (%.2f x health)   gzip %6s req/s (%.2f x health)\n' "$round" \
    "${rate[health]}" "${rate[304]}" "$(awk -v a="${rate[304]}" -v b="${rate[health]}" 'BEGIN { print a / b }')" \
    "${rate[gzip]}" "$(awk -v a="${rate[gzip]}" -v b="${rate[health]}" 'BEGIN { print a / b }')"
done
