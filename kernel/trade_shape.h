// The kernel's shape guard: the checks every candidate passes before any rule or store sees
// it, whichever source it came from.
#pragma once

#include <tradestore/store.h>
#include <tradestore/trade.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::kernel {

inline constexpr std::size_t kMaxIdLength = kMaxIdentifierLength;  // in Unicode code points

// Number of code points, or nullopt when the text is not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view text);
// NUL, C0 controls, DEL and C1 controls (U+0080..U+009F).
bool has_control_characters(std::string_view text);
// An identifier: valid UTF-8, 1..50 code points, no control characters.
bool is_valid_identifier(std::string_view text);

// Bounds, in bytes, of the text the kernel lets reach a store in fields it does not shape-check:
// an audit entry's trade id (a dead letter's Kafka key, say) well under PostgreSQL's btree
// limit of 2,704 bytes; names (source, reference, stream, reason codes) above Kafka's 249-byte
// topic names; free-text messages.
inline constexpr std::size_t kMaxStorableIdBytes = 200;
inline constexpr std::size_t kMaxStorableNameBytes = 512;
inline constexpr std::size_t kMaxStorableMessageBytes = 4096;

// The text as a store can always hold it: valid UTF-8 without NUL or control characters, at
// most max_bytes. Clean text that fits comes back unchanged. Otherwise each byte that is not
// part of a printable character becomes \xHH (a backslash \\); past max_bytes the text is cut
// at a character boundary and ends "...#" and 16 hex digits of the whole text's SHA-256, so
// two different long texts stay different.
std::string storable_text(std::string_view text, std::size_t max_bytes);

// The first problem with the candidate's trade's shape, or nullopt when it is well formed (a
// delete needs only a valid trade id).
std::optional<std::string> shape_problem(const Candidate& candidate);

}  // namespace tradestore::kernel
