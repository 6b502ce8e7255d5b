#!/usr/bin/env bash
# Durable ingest with deployment rules, in one run: a fresh release server takes `started`
# events (each a new deployment, so each is evaluated) at 64 connections for DURATION seconds,
# once with no rules and once with 10 enabled rules that all apply and all pass (5 schedules in
# 5 zones whose windows are shut, 5 concurrency limits not reached); ROUNDS times, alternating,
# alternating which goes first, so that a drift of the machine falls on both. Prints each round and the ratio of the medians.
#   DURATION=10 ROUNDS=3 bash Benchmarks/load/rules.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
port=${PORT:-18950}
# A weekly window two days ahead, one hour long: shut now in every zone.
day=$(date -u -d '+2 day' +%a | tr '[:upper:]' '[:lower:]')
zones=(Europe/Berlin America/New_York Asia/Tokyo UTC Australia/Sydney)

post_rules() {
  local index
  for index in 0 1 2 3 4; do
    curl -sf -X POST "localhost:$port/deployment-rules/" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "{\"name\":\"Freeze $index\",\"type\":\"schedule\",\"schedule\":{\"timezone\":\"${zones[$index]}\",\"windows\":[{\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2020-01-02T00:00:00Z\"},{\"days\":[\"$day\"],\"start\":\"00:00\",\"end\":\"01:00\"}]}}" >/dev/null
    curl -sf -X POST "localhost:$port/deployment-rules/" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
      -d "{\"name\":\"Limit $index\",\"type\":\"concurrency\",\"concurrency\":{\"max_in_progress\":1000}}" >/dev/null
  done
}

# ingest RULES: one round on a fresh server; prints its events per second.
ingest() {
  serve_temporary "$port"
  [ "$1" = rules ] && post_rules
  local line
  line=$(STATUS=started wrk -t2 -c64 -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" \
    -s "$here/post-deployment.lua" "http://127.0.0.1:$port/deployment-events/" | grep '^RESULT')
  eval "local ${line#RESULT }"
  [ "$non2xx" = 0 ] || { echo "$non2xx answers were not 2xx" >&2; exit 1; }
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  echo "$line" | rate
}

echo "Ingest with deployment rules — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${duration}s each, 64 conns"
none=(); with=()
for round in $(seq "$rounds"); do
  # Which goes first alternates, so that neither always meets the machine warmer or cooler.
  if (( round % 2 )); then
    none+=("$(ingest none)"); with+=("$(ingest rules)")
  else
    with+=("$(ingest rules)"); none+=("$(ingest none)")
  fi
  echo "round $round: no rules ${none[-1]} events/s, 10 rules ${with[-1]} events/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m0=$(median "${none[@]}"); m1=$(median "${with[@]}")
echo "median: no rules $m0 events/s, 10 rules $m1 events/s, ratio $(awk -v a="$m1" -v b="$m0" 'BEGIN { printf "%.3f", a / b }')"
