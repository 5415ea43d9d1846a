// Low-level JSON writing for the trade codec: appends straight to a std::string, no DOM and
// no temporary strings, because GET /trades/{id} serialises on every request.
#pragma once

#include <tradestore/json_text.h>
#include <tradestore/trade.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::kernel::codec {

// The value, or null.
void append_optional_int(std::string& out, const std::optional<std::int64_t>& value);

// "YYYY-MM-DD" with the quotes.
void append_quoted_date(std::string& out, Date date);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" with the quotes, always six fractional digits, UTC.
void append_quoted_timestamp(std::string& out, Timestamp timestamp);

}  // namespace tradestore::kernel::codec
