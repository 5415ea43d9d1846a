-- wrk: runs the wrk script named by WRK_SCRIPT, each connection waiting WRK_DELAY_MS
-- milliseconds after each answer before its next request, so the offered load stays below
-- saturation and the latencies are a request's, not a queue's.
dofile(os.getenv("WRK_SCRIPT"))

local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end
