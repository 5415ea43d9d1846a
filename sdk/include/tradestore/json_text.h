// JSON string text (RFC 8259), written one way everywhere: API bodies, dead letters, events,
// log lines, the import tool. Appends straight to a std::string, because GET /trades/{id}
// serialises on every request.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradestore {

// Length of the valid UTF-8 sequence starting at text[i] (1 for ASCII), or 0 when the bytes
// there are not one: a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate (U+D800..U+DFFF), a value above U+10FFFF, a lead byte F5..FF.
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
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

// Appends `text` as a quoted JSON string: `"` and `\` are escaped, every control character
// below U+0020 is written as \u00XX, valid UTF-8 is copied verbatim and each byte that is not
// part of a valid UTF-8 sequence becomes \ufffd, so the output is always valid JSON and
// valid UTF-8 whatever bytes came in.
inline void append_json_string(std::string& out, std::string_view text) {
    // 0: copy as is; 1: escape; 2: start of a multi-byte UTF-8 sequence (or an invalid byte).
    static constexpr std::array<std::uint8_t, 256> kClasses = [] {
        std::array<std::uint8_t, 256> classes{};
        for (int c = 0; c < 0x20; ++c) classes[c] = 1;
        classes['"'] = 1;
        classes['\\'] = 1;
        for (int c = 0x80; c < 0x100; ++c) classes[c] = 2;
        return classes;
    }();
    static constexpr char kHex[] = "0123456789abcdef";
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
            if (const std::size_t length = utf8_sequence_length(text, i); length != 0) {
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

// Appends `value` as a JSON number.
inline void append_json_int(std::string& out, std::int64_t value) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, static_cast<std::size_t>(result.ptr - buffer));
}

}  // namespace tradestore
