#include "codec_json_writer.h"

#include <array>
#include <charconv>
#include <chrono>

namespace tradestore::kernel::codec {
namespace {

// 0: copy as is; 1: escape; 2: start of a multi-byte UTF-8 sequence (or an invalid byte).
constexpr std::array<std::uint8_t, 256> make_classes() {
    std::array<std::uint8_t, 256> classes{};
    for (int c = 0; c < 0x20; ++c) classes[c] = 1;
    classes['"'] = 1;
    classes['\\'] = 1;
    for (int c = 0x80; c < 0x100; ++c) classes[c] = 2;
    return classes;
}
constexpr std::array<std::uint8_t, 256> kClasses = make_classes();

constexpr char kHex[] = "0123456789abcdef";

void put_digits(char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    const std::size_t left = text.size() - i;
    const auto continuation = [&](std::size_t k) { return (byte(k) & 0xC0) == 0x80; };
    if (lead >= 0xC2 && lead <= 0xDF) {
        return left >= 2 && continuation(i + 1) ? 2 : 0;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (left < 3 || !continuation(i + 1) || !continuation(i + 2)) return 0;
        if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
        if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // surrogate
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (left < 4 || !continuation(i + 1) || !continuation(i + 2) || !continuation(i + 3)) {
            return 0;
        }
        if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
        if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

void append_quoted(std::string& out, std::string_view text) {
    out.push_back('"');
    std::size_t run = 0;  // start of the pending verbatim run
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const std::uint8_t cls = kClasses[c];
        if (cls == 0) {
            ++i;
            continue;
        }
        if (cls == 2) {
            const std::size_t length = utf8_sequence_length(text, i);
            if (length != 0) {
                i += length;
                continue;
            }
        }
        out.append(text.data() + run, i - run);
        if (cls == 2) {
            out.append("\\ufffd");
        } else if (c == '"' || c == '\\') {
            const char escaped[2] = {'\\', static_cast<char>(c)};
            out.append(escaped, 2);
        } else {
            const char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
            out.append(escaped, 6);
        }
        ++i;
        run = i;
    }
    out.append(text.data() + run, text.size() - run);
    out.push_back('"');
}

void append_int(std::string& out, std::int64_t value) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, static_cast<std::size_t>(result.ptr - buffer));
}

void append_optional_int(std::string& out, const std::optional<std::int64_t>& value) {
    if (value) {
        append_int(out, *value);
    } else {
        out.append("null");
    }
}

void append_quoted_date(std::string& out, Date date) {
    const std::chrono::year_month_day ymd{date};
    const int year = static_cast<int>(ymd.year());
    char text[12];
    text[0] = '"';
    put_digits(text + 1, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    text[5] = '-';
    put_digits(text + 6, static_cast<unsigned>(ymd.month()), 2);
    text[8] = '-';
    put_digits(text + 9, static_cast<unsigned>(ymd.day()), 2);
    text[11] = '"';
    out.append(text, sizeof text);
}

void append_quoted_timestamp(std::string& out, Timestamp timestamp) {
    using namespace std::chrono;
    const sys_days day = floor<days>(timestamp);
    const std::int64_t micros = (timestamp - day).count();  // 0 .. 86'399'999'999
    const std::chrono::year_month_day ymd{day};
    const int year = static_cast<int>(ymd.year());
    const auto seconds_of_day = static_cast<unsigned>(micros / 1'000'000);
    char text[29];
    text[0] = '"';
    put_digits(text + 1, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    text[5] = '-';
    put_digits(text + 6, static_cast<unsigned>(ymd.month()), 2);
    text[8] = '-';
    put_digits(text + 9, static_cast<unsigned>(ymd.day()), 2);
    text[11] = 'T';
    put_digits(text + 12, seconds_of_day / 3600, 2);
    text[14] = ':';
    put_digits(text + 15, seconds_of_day / 60 % 60, 2);
    text[17] = ':';
    put_digits(text + 18, seconds_of_day % 60, 2);
    text[20] = '.';
    put_digits(text + 21, static_cast<unsigned>(micros % 1'000'000), 6);
    text[27] = 'Z';
    text[28] = '"';
    out.append(text, sizeof text);
}

}  // namespace tradestore::kernel::codec
