// What the harnesses share: a failed invariant aborts with a message (libFuzzer then saves
// the input as a crash), and the checks more than one harness makes.
#pragma once

#include <rapidjson/document.h>
#include <tradestore/codec.h>
#include <tradestore/trade.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace tradestore::fuzz {

// The bytes libFuzzer hands over, as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Aborts with "invariant broken: <what>" when `holds` is false.
void expect(bool holds, std::string_view what);

// The text is exactly one JSON value in valid UTF-8, by RapidJSON's DOM parser (independent
// of the codec's own streaming reader).
bool is_valid_json(std::string_view text);
// The text as a RapidJSON document, or null when it is not valid JSON or holds a number too
// big for a double.
std::unique_ptr<rapidjson::Document> parse_json(std::string_view text);

// A second opinion on the codec's verdict for one item, from its DOM value: a field that is
// absent is "missing"; an identifier that is a string of 1..50 code points of valid UTF-8
// without control characters has no error, any other identifier has one, and a non-empty one
// is never called too short; a version that is a JSON integer within int64 and >= 1 has no
// error, any other has one. Aborts on a disagreement.
void expect_same_verdict(const rapidjson::Value& item, const DecodedTrade& decoded);

// What the kernel's shape guard lets through: valid identifiers, version >= 1, and dates the
// codec can write back as YYYY-MM-DD. Aborts otherwise.
void expect_well_formed(const Trade& trade, std::string_view where);

}  // namespace tradestore::fuzz
