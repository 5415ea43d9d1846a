#include "rfc3339.h"

#include <chrono>
#include <cstdint>

namespace tradestore::rest {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Exactly `width` digits at `at`; false (and `value` untouched) otherwise.
bool digits(std::string_view text, std::size_t at, std::size_t width, int& value) {
    if (at + width > text.size()) return false;
    int parsed = 0;
    for (std::size_t i = at; i < at + width; ++i) {
        if (!is_digit(text[i])) return false;
        parsed = parsed * 10 + (text[i] - '0');
    }
    value = parsed;
    return true;
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
    using namespace std::chrono;
    // YYYY-MM-DDThh:mm:ss is 19 characters; the shortest offset ('Z') makes 20.
    if (text.size() < 20) return std::nullopt;
    int hour = 0, minute = 0, second = 0;
    const std::optional<Date> date = parse_date(text.substr(0, 10));
    if (!date || (text[10] != 'T' && text[10] != 't') || !digits(text, 11, 2, hour) ||
        text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
        !digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;

    std::size_t at = 19;
    std::int64_t micros = 0;
    if (text[at] == '.') {
        ++at;
        const std::size_t first = at;
        std::int64_t scale = 100'000;
        while (at < text.size() && is_digit(text[at])) {
            micros += (text[at] - '0') * scale;
            scale /= 10;
            ++at;
        }
        if (at == first) return std::nullopt;
    }
    if (at >= text.size()) return std::nullopt;

    minutes offset{0};
    const char zone = text[at];
    if (zone == 'Z' || zone == 'z') {
        ++at;
    } else if (zone == '+' || zone == '-') {
        int offset_hours = 0, offset_minutes = 0;
        if (!digits(text, at + 1, 2, offset_hours) || at + 3 >= text.size() ||
            text[at + 3] != ':' || !digits(text, at + 4, 2, offset_minutes) || offset_hours > 23 ||
            offset_minutes > 59) {
            return std::nullopt;
        }
        offset = hours{offset_hours} + minutes{offset_minutes};
        if (zone == '-') offset = -offset;
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != text.size()) return std::nullopt;

    const Timestamp local =
        Timestamp{*date} + hours{hour} + minutes{minute} + seconds{second} + microseconds{micros};
    return local - offset;
}

}  // namespace tradestore::rest
