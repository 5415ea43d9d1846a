// Dates as the store keeps them: 'YYYY-MM-DD' text, so that text order is date order.
// Timestamps are INTEGER microseconds since 1970-01-01T00:00:00Z (the SDK's to_micros).
#pragma once

#include <tradestore/trade.h>

#include <string_view>

namespace tradestore::plugins::sqlite {

// A stored date; throws std::runtime_error naming `text` when it is not one, because a row
// the store wrote itself can only be corrupt then.
Date stored_date(std::string_view text);

}  // namespace tradestore::plugins::sqlite
