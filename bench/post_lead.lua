-- wrk script: POST a lead with a unique email each time (so no two requests merge into one lead).
-- WRK_RATE (optional, requests/s over all threads) paces the requests on a fixed schedule: each request takes
-- the next slot of its thread's timetable and waits for it, so the offered rate stays fixed whatever the
-- latency (use more connections than the rate needs in flight, or the schedule slips).
local now_ms = require("wrk_clock").monotonic_ms

local counter = 0
local threads = {}
next_thread_id = 0  -- global in the main state; each thread gets its own `thread_id` through thread:set
local rate = tonumber(os.getenv("WRK_RATE") or "0")
local api_key = os.getenv("WRK_API_KEY") or ""
local interval_ms = 0
local next_slot = nil

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id * 7919)
  prefix = string.format("%d%06d", thread_id, math.random(0, 999999))
  if rate > 0 then
    interval_ms = 1000 * tonumber(os.getenv("WRK_THREADS") or "2") / rate
  end
end

function request()
  counter = counter + 1
  local body = string.format('{"email":"lead%s.%d@example.com","name":"Bench","company":"Acme"}', prefix, counter)
  return wrk.format("POST", "/v1/leads", {["Content-Type"] = "application/json", ["X-API-Key"] = api_key}, body)
end

function delay()
  if interval_ms == 0 then
    return 0
  end
  local now = now_ms()
  if next_slot == nil then
    next_slot = now + math.random() * interval_ms  -- threads start out of phase
  end
  local wait = next_slot - now
  next_slot = next_slot + interval_ms
  if wait < 0 then
    return 0
  end
  return wait
end

done = function(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("RESULT requests=%d duration_us=%d non2xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, non2xx, latency:percentile(50), latency:percentile(99)))
end
