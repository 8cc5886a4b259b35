-- wrk script for bench/e2e.py: WRK_TOTAL copies of WRK_LEAD (a lead that qualifies at once), posted open loop
-- at WRK_RATE a second over all WRK_THREADS threads, from WRK_START (epoch ms) on one timetable: lead i is due at
-- WRK_START + i / WRK_RATE. Each lead's email carries the time it was due (epoch microseconds), so the reader
-- of leads.qualified times it from then, however late the request went out. Each thread writes
-- "<lead id> <answered at, epoch ms>" for every 2xx to a lead, "! <status>" for any other answer to one, and
-- "? 404" for an idle connection's request, to WRK_ANSWERS<thread>.
local clock = require("wrk_clock")

-- What a connection asks for when it wakes with no lead left to send: a path capture answers 404 at once.
IDLE_PATH = "/no-lead-left"
next_thread_id = 0  -- global in the main state; each thread gets its own `thread_id` through thread:set

function setup(thread)
  thread:set("thread_id", next_thread_id)
  next_thread_id = next_thread_id + 1
end

function init(args)
  threads = tonumber(os.getenv("WRK_THREADS"))
  local total = tonumber(os.getenv("WRK_TOTAL"))
  quota = math.floor(total / threads) + ((thread_id < total % threads) and 1 or 0)
  step_ms = 1000 / tonumber(os.getenv("WRK_RATE"))
  start_ms = tonumber(os.getenv("WRK_START"))
  run = os.getenv("WRK_RUN")
  -- WRK_LEAD: the lead's JSON with EMAIL_SLOT where each request's own email goes
  lead_before_email, lead_after_email = string.match(os.getenv("WRK_LEAD"), "^(.-)EMAIL_SLOT(.*)$")
  headers = {["Content-Type"] = "application/json", ["X-API-Key"] = os.getenv("WRK_API_KEY")}
  answers = io.open(os.getenv("WRK_ANSWERS") .. thread_id, "w")
  delayed, requested = 0, 0
end

local function due_ms(k)
  return start_ms + (thread_id + k * threads) * step_ms
end

function delay()
  -- Each wait is for the next slot not yet taken. A connection that wrk reopens takes a new one, so the slots
  -- can run ahead of the requests: a request then goes out one slot late, never early, and a connection that
  -- wakes once every lead is out asks for IDLE_PATH instead.
  if requested >= quota then
    return 3600000  -- every lead of this thread is out: park the connection until wrk is stopped
  end
  local k = delayed
  delayed = delayed + 1
  -- wrk waits whole milliseconds, rounded down: round up, so that no request goes out before it is due
  local wait = math.ceil(due_ms(k) - clock.wall_ms())
  return wait > 0 and wait or 0
end

function request()
  if delayed == 0 then
    return wrk.format("GET", IDLE_PATH)  -- wrk's own check of the script, before any connection: not a lead
  end
  local k = requested
  requested = requested + 1
  if k >= quota then
    return wrk.format("GET", IDLE_PATH)
  end
  local i = thread_id + k * threads
  local email = string.format("load-%s-%d-%.0f@example.com", run, i, due_ms(k) * 1000)
  local body = lead_before_email .. email .. lead_after_email
  -- with a key, as the suite's generator sends, so capture does the same work per lead as under it
  headers["Idempotency-Key"] = string.format("%s-%d", run, i)
  return wrk.format("POST", "/v1/leads", headers, body)
end

function response(status, headers, body)
  if status == 404 then
    answers:write("? 404\n")  -- IDLE_PATH: POST /v1/leads is never a 404
  elseif status >= 200 and status < 300 then
    local lead_id = string.match(body, '"lead_id"%s*:%s*"([^"]+)"')
    answers:write(string.format("%s %.3f\n", lead_id or "?", clock.wall_ms()))
  else
    answers:write(string.format("! %d\n", status))
  end
  answers:flush()
end
