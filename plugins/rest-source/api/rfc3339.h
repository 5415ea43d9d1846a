// RFC 3339 instants (date-time with an offset), as the query parameters that take a point in
// time accept them: 2026-12-01T17:00:00Z, 2026-12-01T17:00:00.123456+01:00. Writing is
// the SDK's append_timestamp (trade.h): UTC, microseconds, 'Z'.
#pragma once

#include <tradestore/trade.h>

#include <optional>
#include <string_view>

namespace tradestore::rest {

// The instant `text` names, or nullopt when it is not an RFC 3339 date-time: YYYY-MM-DD, 'T'
// (or 't'), hh:mm:ss, optional '.' and one or more fraction digits, then 'Z' (or 'z') or
// +hh:mm / -hh:mm. The date must exist, hh 00-23, mm 00-59, ss 00-59 (a leap second's :60 is
// refused: the clock has no leap seconds), offsets up to 23:59. Digits beyond microseconds are
// dropped (truncated). No surrounding whitespace; no space for 'T' (in a query a '+' decodes
// to a space, so "+01:00" must be sent as %2B01:00 — an unescaped one is refused, not guessed).
std::optional<Timestamp> parse_rfc3339(std::string_view text);

}  // namespace tradestore::rest
