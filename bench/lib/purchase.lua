-- wrk script for bench/purchase: POST /api/v1/orders round-robin over the accounts' keys (BENCH_KEYS, comma
-- separated), optionally paced to BENCH_RATE requests/s in total over BENCH_THREADS wrk threads, counting 5xx.
local keys = {}
for k in string.gmatch(os.getenv("BENCH_KEYS") or "none", "[^,]+") do keys[#keys + 1] = k end
local rate = tonumber(os.getenv("BENCH_RATE") or "0")
local body = '{"offerId":"mobile","quantity":1}'
local threads = {}
local i = 0
local fivexx = 0
local non201 = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  i = id
end

function request()
  i = i + 1
  local key = keys[(i % #keys) + 1]
  return wrk.format("POST", "/api/v1/orders",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end

-- Pacing is open loop: each thread hands out send times rate/threads a second apart, and a connection that comes
-- free waits for the next one. (It used to wait connections/rate after each answer, so the rate reached fell short
-- of the rate asked by as much as the answers took: 545/s for 656/s asked.) A thread that falls behind, all its
-- connections busy, catches up at most a second's worth at once.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000.0 + tonumber(tv.tv_usec) / 1000.0
end
local threadCount = tonumber(os.getenv("BENCH_THREADS") or "1")
local nextAt = nil

function delay()
  if rate <= 0 then
    return 0
  end
  local interval = 1000.0 * threadCount / rate
  local now = now_ms()
  if nextAt == nil or nextAt < now - 1000.0 then
    nextAt = now
  end
  local at = nextAt
  nextAt = nextAt + interval
  return math.max(0, math.floor(at - now))
end

function response(status, headers, body)
  if status >= 500 then fivexx = fivexx + 1 end
  -- Anything but 201 is not a purchase (a 429 from the rate limit would otherwise count as throughput).
  if status ~= 201 then non201 = non201 + 1 end
end

function done(summary, latency, requests)
  local total5xx = 0
  local totalNon201 = 0
  for _, t in ipairs(threads) do
    total5xx = total5xx + (t:get("fivexx") or 0)
    totalNon201 = totalNon201 + (t:get("non201") or 0)
  end
  io.write(string.format("BENCH_JSON {\"requests\": %d, \"seconds\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, " ..
    "\"fivexx\": %d, \"non201\": %d, \"errors\": %d}\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000.0, latency:percentile(99) / 1000.0,
    total5xx, totalNon201, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
