-- wrk script: POST a lead with a unique email each time (so no two requests merge into one lead).
-- WRK_DELAY_MS (optional) paces each connection, for a fixed request rate.
local counter = 0
next_thread_id = 0  -- global in the main state; each thread gets its own `thread_id` through thread:set
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local api_key = os.getenv("WRK_API_KEY") or ""

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id * 7919)
  prefix = string.format("%d%06d", thread_id, math.random(0, 999999))
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"lead%s.%d@example.com","name":"Bench","company":"Acme"}', prefix, counter)
  return wrk.format("POST", "/v1/leads", {["Content-Type"] = "application/json", ["X-API-Key"] = api_key}, body)
end

function delay()
  return delay_ms
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, non2xx, latency:percentile(50), latency:percentile(99)))
end
