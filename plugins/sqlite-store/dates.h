// Dates and timestamps as the store keeps them: dates as 'YYYY-MM-DD' text (so that text
// order is date order), timestamps as INTEGER microseconds since 1970-01-01T00:00:00Z.
#pragma once

#include <tradestore/trade.h>

#include <cstdint>
#include <string_view>

namespace tradestore::plugins::sqlite {

// Parses 'YYYY-MM-DD'; throws std::runtime_error naming `text` when it is not a valid date.
Date parse_date(std::string_view text);

inline std::int64_t to_micros(Timestamp timestamp) {
    return timestamp.time_since_epoch().count();
}
inline Timestamp from_micros(std::int64_t micros) {
    return Timestamp{std::chrono::microseconds{micros}};
}
Timestamp now_utc();

}  // namespace tradestore::plugins::sqlite
