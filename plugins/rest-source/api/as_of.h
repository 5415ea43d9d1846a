// ?as_of= on the trade reads (GET /api/v1/trades/{id}): the state as recorded at an instant.
//   ?as_of=2026-12-01T17:00:00Z      an RFC 3339 instant (rfc3339.h)
//   ?as_of=2026-12-01                a business date: the close of that business day (the
//                                    last instant before the next one starts, under the
//                                    configured business_timezone and business_day_rollover)
#pragma once

#include <tradestore/clock.h>

#include <optional>
#include <string_view>
#include <vector>

#include "query_params.h"

namespace tradestore::rest {

struct AsOf {
    Timestamp instant;   // versions recorded at or before it count
    Date business_date;  // what `expired` is judged against: the business date at the instant
};

// nullopt without an as_of parameter, or with a malformed one (then one FieldError for it).
std::optional<AsOf> parse_as_of(const QueryParams& params, const BusinessClock& clock,
                                std::vector<FieldError>& errors);

inline constexpr std::string_view kBadAsOf =
    "Input should be an RFC 3339 date-time with an offset (2026-12-01T17:00:00Z; send '+' as "
    "%2B) or a business date (2026-12-01)";

}  // namespace tradestore::rest
