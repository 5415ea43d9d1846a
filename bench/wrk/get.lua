-- wrk: GET the URL given on the command line (a trade, or nginx's static copy of it).
dofile(debug.getinfo(1, "S").source:match("@(.*/)") .. "report.lua")
