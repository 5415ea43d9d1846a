-- wrk: POST /api/v1/trades with a new trade id per request.
-- Each wrk thread takes its own random prefix so ids never collide across threads or runs.
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "report.lua")

local counter = 0
local prefix = "W" .. tostring(math.random(1, 1e9)) .. "-"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16))
  prefix = "W" .. tostring(math.random(1, 1e9)) .. "-"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"trade_id":"%s%d","version":1,"counter_party_id":"CP-1","book_id":"B1","maturity_date":"2030-01-01"}',
    prefix, counter)
  return wrk.format("POST", "/api/v1/trades", {["Content-Type"] = "application/json"}, body)
end
