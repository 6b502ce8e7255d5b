#!/usr/bin/env bash
# What open event streams cost durable ingest: one release server (--fsync always), durable
# POST /deployment-events/ at 64 connections for DURATION seconds, with no stream open and with
# STREAMS consumers of GET /events/stream, alternated ROUNDS times in one run. Each consumer reads
# every event, or with FOLLOW=product only the events of a product of its own (service-1,
# service-2, … of the load's 1 000), as a product's page or a bot following one service does.
#   ROUNDS=3 DURATION=5 STREAMS=100 [FOLLOW=product] bash Benchmarks/load/streams.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
streams=${STREAMS:-100}
follow=${FOLLOW:-}
case "$follow" in
  '' | product) ;;
  *) echo "FOLLOW is empty (every event) or product" >&2; exit 2 ;;
esac
port=${PORT:-18980}

serve_temporary "$port"
post() {
  wrk -t2 -c64 -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" -s "$here/post-deployment.lua" \
    "http://127.0.0.1:$port/deployment-events/" | grep '^RESULT' | rate
}
echo "Versioner event streams — $(date -u +%Y-%m-%dT%H:%M:%SZ), ${duration}s each, 64 conns, $streams streams of ${follow:-every event}"
for round in $(seq "$rounds"); do
  none=$(post)
  consumers=()
  received=$(mktemp -d)
  for index in $(seq "$streams"); do
    query=${follow:+?product=service-$index}
    curl -sN -H "Authorization: Bearer $key" "http://127.0.0.1:$port/events/stream$query" >"$received/$index" &
    consumers+=($!)
  done
  sleep 1
  with=$(post)
  sleep 1
  kill "${consumers[@]}" 2>/dev/null || true
  wait "${consumers[@]}" 2>/dev/null || true
  events=$(grep -c '^id:' "$received/1" || true)
  rm -rf "$received"
  awk -v r="$round" -v a="$none" -v b="$with" -v e="$events" -v s="$streams" \
    'BEGIN { printf "round %d  no stream %6d req/s   %d streams %6d req/s  (%.2f×; one stream received %d events)\n", r, a, s, b, b / a, e }'
done
