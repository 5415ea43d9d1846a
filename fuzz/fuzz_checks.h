// What the harnesses share: a failed invariant aborts with a message (libFuzzer then saves
// the input as a crash), and the checks more than one harness makes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <tradestore/trade.h>

namespace tradestore::fuzz {

// The bytes libFuzzer hands over, as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Aborts with "invariant broken: <what>" when `holds` is false.
void expect(bool holds, std::string_view what);

// The text is exactly one JSON value, in valid UTF-8 (checked with RapidJSON's DOM parser,
// independently of the codec's own streaming reader).
bool is_valid_json(std::string_view text);

// What the kernel's shape guard lets through: valid identifiers, version >= 1, and dates the
// codec can write back as YYYY-MM-DD. Aborts otherwise.
void expect_well_formed(const Trade& trade, std::string_view where);

}  // namespace tradestore::fuzz
