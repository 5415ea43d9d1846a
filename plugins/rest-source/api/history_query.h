// GET /api/v1/trades/{trade_id}/history: its query parameters and its answer.
//   ?skip=0&limit=100&from=2026-12-01T17:00:00Z&to=2026-12-07T17:00:00.5%2B01:00
//   {"trade_id":"T1","skip":0,"limit":100,"items":[{"version","action","previous_version",
//    "recorded_at","business_date","source","reference","trade":{...}}]}
#pragma once

#include <tradestore/codec.h>
#include <tradestore/history.h>

#include <string>
#include <string_view>
#include <vector>

#include "query_params.h"

namespace tradestore::rest {

// skip and limit as on every list route; from and to: RFC 3339 instants (rfc3339.h), both
// inclusive, on recorded_at. Appends one FieldError per bad parameter: skip, limit, from, to.
HistoryQuery parse_history_query(std::string trade_id, const QueryParams& params,
                                 std::vector<FieldError>& errors);

// The 404 answer's detail when the store keeps no history.
inline constexpr std::string_view kNoTradeHistory = "This store keeps no trade history";

// The message of a malformed from/to.
inline constexpr std::string_view kBadInstant =
    "Input should be an RFC 3339 date-time with an offset, e.g. 2026-12-01T17:00:00Z or "
    "2026-12-01T17:00:00.123456%2B01:00 (a '+' in a query is sent as %2B)";

// {"trade_id":..,"skip":n,"limit":n,"items":[...]}, the records in the order given; each
// record's trade as GET /trades/{id} writes one, its expired flag as of the record's business
// date (the version as it stood).
void append_history(std::string& out, const TradeCodec& codec, const HistoryQuery& query,
                    const std::vector<HistoryRecord>& records);

}  // namespace tradestore::rest
