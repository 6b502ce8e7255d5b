# Sourced by the load scripts: moves to the repository's root, makes sure of wrk and a release
# build, and makes the admin key of the server the script starts.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
here=Benchmarks/load
bin=.build/release/versioner
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
[ -x "$bin" ] || swift build -c release --product versioner
key="sk_local_benchmark0000_$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export VERSIONER_ADMIN_KEY=$key

# rate: the requests per second of the RESULT line of report.lua on standard input.
rate() { sed 's/.*requests=\([0-9]*\) duration_us=\([0-9]*\).*/\1 \2/' | awk '{ printf "%.0f", $1 / ($2 / 1e6) }'; }

# seed PORT EVENTS: sends EVENTS durable deployment events (a new deployment each) at 64
# connections, and prints wrk's RESULT line. wrk runs until -d ends, so each of its two threads
# stops after half the events and marks it in a file, which this watches.
seed() {
  local port=$1 events=$2 done_dir wrk_pid
  done_dir=$(mktemp -d)
  STOP_AFTER=$(( events / 2 )) DONE_DIR=$done_dir wrk -t2 -c64 -d3600s --timeout 10s -H "Authorization: Bearer $key" \
    -s "$here/post-deployment.lua" "http://127.0.0.1:$port/deployment-events/" >"$done_dir/out" &
  wrk_pid=$!
  until [ -e "$done_dir/1" ] && [ -e "$done_dir/2" ]; do sleep 1; done
  kill -INT $wrk_pid; wait $wrk_pid || true
  grep '^RESULT' "$done_dir/out" || true
  rm -rf "$done_dir"
}

# serve_temporary PORT [FLAG...]: starts the release server on a temporary data directory
# (--fsync always, warnings only, and the flags given) and returns once it is ready, or fails
# after 30 s. Sets $pid and $data; the server and the directory are gone when the script exits.
serve_temporary() {
  local port=$1
  shift
  data=$(mktemp -d)
  "$bin" serve --port "$port" --data-dir "$data" --fsync always --log-level warning "$@" &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
  for _ in $(seq 600); do curl -sf "localhost:$port/ready" >/dev/null && return 0; sleep 0.05; done
  echo "the server did not become ready on port $port" >&2
  return 1
}
