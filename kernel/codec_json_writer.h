// Low-level JSON writing for the trade codec: appends straight to a std::string, no DOM and
// no temporary strings, because GET /trades/{id} serialises on every request.
#pragma once

#include <tradestore/trade.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::kernel::codec {

// Appends `text` as a quoted JSON string (RFC 8259): `"` and `\` are escaped, every control
// character below U+0020 is written as \u00XX, valid UTF-8 is copied verbatim and each byte
// that is not part of a valid UTF-8 sequence becomes \ufffd, so the output is always valid.
void append_quoted(std::string& out, std::string_view text);

// Length of the valid UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when the bytes
// there are not one: a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate (U+D800..U+DFFF), a value above U+10FFFF. The one strict check the JSON writers
// (this codec, the JSON log lines) share.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

void append_int(std::string& out, std::int64_t value);
// The value, or null.
void append_optional_int(std::string& out, const std::optional<std::int64_t>& value);

// "YYYY-MM-DD" with the quotes.
void append_quoted_date(std::string& out, Date date);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" with the quotes, always six fractional digits, UTC.
void append_quoted_timestamp(std::string& out, Timestamp timestamp);

}  // namespace tradestore::kernel::codec
