-- wrk: GET a random seeded trade or book, as bench/kafka_trades.py's `seeded` messages made
-- them. After wrk's "--": "trade N" (default) for GET /api/v1/trades/{id}, id one of S000000 ..
-- S<N-1>; "book N" for GET /api/v1/trades/book/{book}, book one of BOOK-00 .. BOOK-<N-1>.
-- Every answer is a 200.
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "report.lua")

local kind = "trade"
local count = 1000

function init(args)
  if args[1] then kind = args[1] end
  if args[2] then count = tonumber(args[2]) end
  -- Each wrk thread has a Lua state of its own: seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end

function request()
  local n = math.random(0, count - 1)
  if kind == "book" then
    return wrk.format("GET", string.format("/api/v1/trades/book/BOOK-%02d", n))
  end
  return wrk.format("GET", string.format("/api/v1/trades/S%06d", n))
end
