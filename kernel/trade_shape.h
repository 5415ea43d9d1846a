// The kernel's shape guard: the checks every candidate passes before any rule or store sees
// it, whichever source it came from.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <tradestore/trade.h>

namespace tradestore::kernel {

inline constexpr std::size_t kMaxIdLength = kMaxIdentifierLength;  // in Unicode code points

// Number of code points, or nullopt when the text is not valid UTF-8.
std::optional<std::size_t> utf8_length(std::string_view text);
// NUL, C0 controls, DEL and C1 controls (U+0080..U+009F).
bool has_control_characters(std::string_view text);
// An identifier: valid UTF-8, 1..50 code points, no control characters.
bool is_valid_identifier(std::string_view text);

// The first problem with the trade's shape, or nullopt when it is well formed.
std::optional<std::string> shape_problem(const Trade& trade);

}  // namespace tradestore::kernel
