-- wrk: GET /api/v1/trades/{id}, cycling through the ids a benchmark seeded beforehand:
-- S000000 .. S<n-1>, n given after wrk's "--" (default 1000), then optionally a query string
-- to append (e.g. "?as_of=2026-12-01"). Every answer is a 200.
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "report.lua")

local seeded = 1000
local query = ""
local counter = 0

function init(args)
  if args[1] then seeded = tonumber(args[1]) end
  if args[2] then query = args[2] end
end

function request()
  counter = counter + 1
  return wrk.format("GET", string.format("/api/v1/trades/S%06d", counter % seeded) .. query)
end
