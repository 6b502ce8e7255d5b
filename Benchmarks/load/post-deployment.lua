-- POST /deployment-events/ with a unique version on every request (a new deployment each time),
-- shaped like the Versioner CLI's events. STATUS=<word> sends that status (default success;
-- `started` makes every event one that deployment rules evaluate). Optional: STOP_AFTER=<n> responses per thread; each
-- thread that reaches it stops and touches DONE_DIR/<thread id> (wrk itself runs until -d ends,
-- so the caller watches those files and stops wrk).
local counter = 0
local thread_id = 0
local threads = {}
local stop_after = tonumber(os.getenv("STOP_AFTER") or "0")
local done_dir = os.getenv("DONE_DIR")
local products = tonumber(os.getenv("PRODUCTS") or "1000")
local responses = 0
local status = os.getenv("STATUS") or "success"
-- Each run's own: a run that follows another within 10 s must not send the same bytes, or the
-- server answers them as the CLI's retries of the first run's events (docs/API.md §8).
local run = 0

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(wrk.thread:get("id")) or 0
  math.randomseed(os.time() + thread_id)
  run = math.random(1, 2147483646)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "versioner-cli/v1.0.10"
end

local environments = { "dev", "test", "staging", "production", "production-eu" }

function request()
  counter = counter + 1
  local n = counter
  local product = (thread_id * 7919 + n) % products
  local body = string.format(
    '{"product_name":"service-%d","version":"%d.%d.%d","environment_name":"%s","status":"%s",' ..
    '"source_system":"github","build_number":"%d","scm_sha":"%s","deployed_by":"ci-bot",' ..
    '"deploy_url":"https://ci.example.com/runs/%d","invoke_id":"%d-%d-%d"}',
    product, thread_id, math.floor(n / 1000), n % 1000, environments[(n % 5) + 1], status, n, string.rep(string.format("%08x", (n * 7919 + thread_id) % 2147483647), 5),
    n, run, thread_id, n)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  responses = responses + 1
  if stop_after > 0 and responses == stop_after then
    if done_dir then
      local marker = io.open(done_dir .. "/" .. thread_id, "w")
      if marker then marker:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_us=%d errors=%d p50_us=%d p99_us=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
