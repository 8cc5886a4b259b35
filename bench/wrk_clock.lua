-- Clocks for the wrk scripts (LuaJIT's FFI to clock_gettime): os.time() counts whole seconds only.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } lr_timespec;
int clock_gettime(int clk_id, lr_timespec *tp);
]]
local timespec = ffi.new("lr_timespec")

local function read_ms(clock_id)
  ffi.C.clock_gettime(clock_id, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

return {
  -- milliseconds on CLOCK_MONOTONIC: for waits
  monotonic_ms = function() return read_ms(1) end,
  -- milliseconds since the epoch on CLOCK_REALTIME: for times another process compares with its own clock
  wall_ms = function() return read_ms(0) end,
}
