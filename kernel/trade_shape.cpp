#include "trade_shape.h"

namespace tradestore::kernel {

std::optional<std::size_t> utf8_length(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        char32_t code_point = 0;
        if (lead < 0x80) {
            length = 1;
            code_point = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            length = 2;
            code_point = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            length = 3;
            code_point = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            length = 4;
            code_point = lead & 0x07;
        } else {
            return std::nullopt;
        }
        if (i + length > text.size()) return std::nullopt;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return std::nullopt;
            code_point = (code_point << 6) | (next & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
            (code_point >= 0xD800 && code_point <= 0xDFFF))
            return std::nullopt;
        i += length;
    }
    return count;
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

std::optional<std::string> shape_problem(const Trade& trade) {
    if (!is_valid_identifier(trade.trade_id)) return "trade_id is not a valid identifier";
    if (!is_valid_identifier(trade.counter_party_id))
        return "counter_party_id is not a valid identifier";
    if (!is_valid_identifier(trade.book_id)) return "book_id is not a valid identifier";
    if (trade.version < kMinVersion) return "version must be at least 1";
    return std::nullopt;
}

}  // namespace tradestore::kernel
