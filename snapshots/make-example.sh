#!/usr/bin/env bash
# Writes a small example data directory (a snapshot and a journal tail after it) that the tests
# load, so that a change breaking old files fails them. Run it when a format changes on purpose
# (and its version is bumped), into a new directory beside the old ones:
#   bash snapshots/make-example.sh snapshots/example-v3
set -euo pipefail
out=${1:?usage: make-example.sh snapshots/example-vN}
cd "$(dirname "$0")/.."
swift build
bin=.build/debug/versioner
dir=$(mktemp -d)
port=18765
key="sk_local_example00000_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export VERSIONER_ADMIN_KEY=$key
"$bin" serve --port $port --data-dir "$dir" --log-level warning &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf localhost:$port/ready >/dev/null && break; sleep 0.1; done
post() { curl -sf -X POST "localhost:$port/$1" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$2" >/dev/null; }
post build-events/ '{"product_name":"billing","version":"1.0","scm_sha":"1111111111111111111111111111111111111111","build_number":"1"}'
post build-events/ '{"product_name":"checkout","version":"2.0","scm_sha":"2222222222222222222222222222222222222222","status":"building","invoke_id":"b2"}'
post build-events/ '{"product_name":"checkout","version":"2.0","status":"success","invoke_id":"b2"}'
post build-events/ '{"product_name":"search","version":"3.0","status":"failed","error_message":"tests failed"}'
for p in billing:1.0 checkout:2.0 search:3.0; do
  post deployment-events/ "{\"product_name\":\"${p%%:*}\",\"version\":\"${p##*:}\",\"environment_name\":\"staging\",\"status\":\"success\",\"extra_metadata\":{\"by\":\"example\"}}"
done
# Deployment rules (snapshot format 5): billing needs an approval for production; a report-only
# schedule covering every hour notes each production start. The first start is refused (428),
# then a key approves the version and the later start (after the snapshot) passes.
post deployment-rules/ '{"name":"Billing approval","type":"approval","products":["billing"],"environments":["production"],"allow_skip":false,"approval":{"required_approvals":1}}'
post deployment-rules/ '{"name":"Always noted","type":"schedule","mode":"report_only","environment_types":["production"],"schedule":{"timezone":"Europe/Berlin","windows":[{"start":"00:00","end":"00:00"}]}}'
refused=$(curl -s -o /dev/null -w '%{http_code}' -X POST "localhost:$port/deployment-events/" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d '{"product_name":"billing","version":"1.0","environment_name":"production","status":"started"}')
[ "$refused" = 428 ] || { echo "expected 428 from the approval rule, got $refused" >&2; exit 1; }
billing=$(curl -sf "localhost:$port/versions/?product=billing" -H "Authorization: Bearer $key" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
post "versions/$billing/approvals" '{"environment":"production","comment":"example"}'
post admin/snapshots/ '{}'
post deployment-events/ '{"product_name":"billing","version":"1.0","environment_name":"production","status":"started","invoke_id":"d1"}'
post deployment-events/ '{"product_name":"billing","version":"1.0","environment_name":"production","status":"success","invoke_id":"d1"}'
post deployment-events/ '{"product_name":"checkout","version":"2.0","environment_name":"production","status":"failed"}'
post deployment-events/ '{"product_name":"search","version":"3.0","environment_name":"production","status":"in_progress"}'
kill -9 $pid
wait $pid 2>/dev/null || true
rm -rf "$out"
mkdir -p "$out"
cp -r "$dir/journal" "$dir/snapshots" "$out/"
ls -lR "$out"
