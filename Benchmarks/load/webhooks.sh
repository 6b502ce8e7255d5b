#!/usr/bin/env bash
# What webhooks to a slow receiver cost durable ingest: one release server (--fsync always,
# --webhook-allow-private), durable POST /deployment-events/ at 64 connections for DURATION
# seconds, with no webhook and with WEBHOOKS webhooks for every event to a receiver on
# 127.0.0.1 that takes 1 s to answer each delivery, alternated ROUNDS times in one run: odd
# rounds measure without webhooks first, even rounds with them first, since the state grows
# from phase to phase. Periodic snapshots are set far off: one that fell in one phase and not
# in the other (every 100 000 changes by default, about once a round) would weigh on that
# phase alone.
#   ROUNDS=4 DURATION=6 WEBHOOKS=5 [EVENTS='build.*'] bash Benchmarks/load/webhooks.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
rounds=${ROUNDS:-3}
duration=${DURATION:-5}
webhooks=${WEBHOOKS:-5}
# The event types the webhooks want: every one by default (`build.*` wants none of the events sent).
events=${EVENTS:-*}
port=${PORT:-18990}
receiver_port=$((port + 1))

serve_temporary "$port" --webhook-allow-private --snapshot-every 1000000000 --snapshot-interval 86400
# The receiver: answers every POST after a second, many at once.
python3 - "$receiver_port" <<'EOF' &
import http.server, sys, time
class Slow(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(1)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *arguments):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Slow)
server.daemon_threads = True
server.serve_forever()
EOF
receiver=$!
trap 'kill $pid $receiver 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT

api() { curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' "$@"; }
post() {
  wrk -t2 -c64 -d"${duration}s" --timeout 10s -H "Authorization: Bearer $key" -s "$here/post-deployment.lua" \
    "http://127.0.0.1:$port/deployment-events/" | grep '^RESULT' | rate
}
delivered() { api "localhost:$port/metrics" | awk '/^versioner_webhook_deliveries_total/ { total += $2 } END { print total + 0 }'; }
echo "Versioner webhooks — $(date -u +%Y-%m-%dT%H:%M:%SZ), ${duration}s each, 64 conns, $webhooks webhooks to a receiver answering in 1 s"
for round in $(seq "$rounds"); do
  if [ $((round % 2)) = 1 ]; then none=$(post); fi
  ids=()
  for index in $(seq "$webhooks"); do
    ids+=("$(api -X POST "localhost:$port/webhooks/" -d "{\"name\": \"slow $index\", \"url\": \"http://127.0.0.1:$receiver_port/hook\", \"events\": [\"$events\"]}" \
      | sed 's/.*"id":"\([^"]*\)".*/\1/')")
  done
  before=$(delivered)
  with=$(post)
  pending=$(api "localhost:$port/metrics" | awk '/^versioner_webhook_deliveries_pending/ { print $2 }')
  dropped=$(api "localhost:$port/metrics" | awk '/^versioner_webhook_deliveries_dropped_total/ { print $2 }')
  sent=$(( $(delivered) - before ))
  for id in "${ids[@]}"; do api -X DELETE "localhost:$port/webhooks/$id" >/dev/null; done
  if [ $((round % 2)) = 0 ]; then none=$(post); fi
  awk -v r="$round" -v a="$none" -v b="$with" -v w="$webhooks" -v s="$sent" -v p="$pending" -v d="$dropped" \
    'BEGIN { printf "round %d  no webhook %6d req/s   %d webhooks %6d req/s  (%.2f×; %d delivered meanwhile, %d owed, %d dropped so far)\n", r, a, w, b, b / a, s, p, d }'
done

# Latency: with no load, how long after its event was answered a delivery reaches a receiver
# that answers at once (one webhook, 50 events one after the other).
python3 - "$port" "$key" <<'EOF_PY'
import http.server, json, sys, threading, time, urllib.request
port, key = sys.argv[1], sys.argv[2]
arrived, lock = {}, threading.Condition()
class Fast(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with lock:
            arrived[body["event_id"]] = time.monotonic()
            lock.notify_all()
        self.send_response(204)
        self.end_headers()
    def log_message(self, *arguments):
        pass
receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fast)
threading.Thread(target=receiver.serve_forever, daemon=True).start()
def call(method, path, body):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
                                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())
call("POST", "/webhooks/", {"name": "fast", "url": f"http://127.0.0.1:{receiver.server_address[1]}/", "events": ["deployment.completed"],
                            "products": ["latency"]})
latencies = []
for number in range(50):
    answer = call("POST", "/deployment-events/", {"product_name": "latency", "version": f"1.{number}", "environment_name": "production",
                                                  "status": "success"})
    answered = time.monotonic()
    with lock:
        lock.wait_for(lambda: answer["event_id"] in arrived, timeout=30)
        latencies.append((arrived[answer["event_id"]] - answered) * 1000)
latencies.sort()
print(f"delivery after the event's answer, 50 events: p50 {latencies[24]:.1f} ms, p99 {latencies[-1]:.1f} ms (max)")
EOF_PY
