#include "trade_shape.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <tradestore/json_text.h>

#include <algorithm>
#include <vector>

namespace tradestore::kernel {

namespace {

// The UTF-8 sequence at text[at] (validated by the SDK's one strict check) and its code point;
// nullopt when the bytes there are not a valid sequence.
struct CodePoint {
    std::size_t length = 0;
    char32_t value = 0;
};

std::optional<CodePoint> decode_at(std::string_view text, std::size_t at) {
    const std::size_t length = utf8_sequence_length(text, at);
    if (length == 0) return std::nullopt;
    static constexpr unsigned char kLeadBits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t value = static_cast<unsigned char>(text[at]) & kLeadBits[length];
    for (std::size_t k = 1; k < length; ++k) {
        value = (value << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3F);
    }
    return CodePoint{length, value};
}

bool is_control(char32_t code_point) {
    return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

void append_byte_escape(std::string& out, unsigned char byte) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0F];
}

// 16 hex digits of the text's SHA-256: enough to tell two truncated texts apart.
std::string short_hash(std::string_view text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text.data(), text.size());
    return Poco::DigestEngine::digestToHex(engine.digest()).substr(0, 16);
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const auto point = decode_at(text, i);
        if (!point) return std::nullopt;
        i += point->length;
    }
    return count;
}

std::string storable_text(std::string_view text, std::size_t max_bytes) {
    // Clean text is kept as it is, so an ordinary id or reference reads the same everywhere.
    bool clean = true;
    for (std::size_t i = 0; i < text.size() && clean;) {
        const auto point = decode_at(text, i);
        clean = point && !is_control(point->value);
        if (point) i += point->length;
    }
    if (clean && text.size() <= max_bytes) return std::string(text);

    // Otherwise every byte that is not part of a printable character is written \xHH (and a
    // backslash \\, so the escaped form reads back unambiguously). `cuts` remembers where each
    // character or escape ends, so a truncation never splits one.
    std::string out;
    std::vector<std::size_t> cuts;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto point = decode_at(text, i);
        if (point && !is_control(point->value)) {
            if (point->value == '\\' && !clean) {
                out += "\\\\";
            } else {
                out.append(text.substr(i, point->length));
            }
            i += point->length;
        } else if (point) {
            for (std::size_t k = 0; k < point->length; ++k)
                append_byte_escape(out, static_cast<unsigned char>(text[i + k]));
            i += point->length;
        } else {
            append_byte_escape(out, static_cast<unsigned char>(text[i]));
            ++i;
        }
        cuts.push_back(out.size());
    }
    if (out.size() <= max_bytes) return out;

    // Too long: a prefix, then a hash of the whole original, so two long texts that share the
    // prefix stay different.
    const std::string suffix = "...#" + short_hash(text);
    const std::size_t room = max_bytes > suffix.size() ? max_bytes - suffix.size() : 0;
    const auto last = std::upper_bound(cuts.begin(), cuts.end(), room);
    out.resize(last == cuts.begin() ? 0 : *(last - 1));
    out += suffix;
    if (out.size() > max_bytes) out.resize(max_bytes);  // only for a bound below the suffix
    return out;
}

bool has_control_characters(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F) return true;
        // U+0080..U+009F are encoded as C2 80..C2 9F.
        if (c == 0xC2 && i + 1 < text.size()) {
            const auto next = static_cast<unsigned char>(text[i + 1]);
            if (next >= 0x80 && next <= 0x9F) return true;
        }
    }
    return false;
}

bool is_valid_identifier(std::string_view text) {
    auto length = utf8_length(text);
    return length && *length >= 1 && *length <= kMaxIdLength && !has_control_characters(text);
}

std::optional<std::string> shape_problem(const Candidate& candidate) {
    const Trade& trade = candidate.trade;
    if (!is_valid_identifier(trade.trade_id)) return "trade_id is not a valid identifier";
    if (candidate.deletes) return std::nullopt;  // a delete names the trade, nothing more
    if (!is_valid_identifier(trade.counter_party_id))
        return "counter_party_id is not a valid identifier";
    if (!is_valid_identifier(trade.book_id)) return "book_id is not a valid identifier";
    if (trade.version < kMinVersion) return "version must be at least 1";
    return std::nullopt;
}

}  // namespace tradestore::kernel
