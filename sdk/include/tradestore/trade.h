// The trade record, as stored and as served over every API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore {

using Date = std::chrono::sys_days;

// The shape every trade has before any rule or store sees it (the kernel's codec and shape
// guard enforce it; GET /openapi.json documents it): identifiers are 1..50 Unicode code
// points of valid UTF-8 without control characters, versions start at 1, dates are real
// YYYY-MM-DD dates from year 1.
inline constexpr std::size_t kMaxIdentifierLength = 50;
inline constexpr std::int64_t kMinVersion = 1;
using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

struct Trade {
    std::string trade_id;
    std::int64_t version = 0;
    std::string counter_party_id;
    std::string book_id;
    Date maturity_date{};
    Date created_date{};
    // Owned by the server: an incoming value is accepted and overridden.
    bool expired = false;
    Timestamp last_updated{};

    bool operator==(const Trade&) const = default;
};

namespace wire_text {

// `value`'s last `width` decimal digits, zero-padded, at `at`.
inline void put_digits(char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

// "YYYY-MM-DD" into text[0..9]; years outside 0000..9999 (which the format cannot hold) are
// clamped.
inline void put_date(char* text, const std::chrono::year_month_day& ymd) {
    const int year = static_cast<int>(ymd.year());
    put_digits(text, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    text[4] = '-';
    put_digits(text + 5, static_cast<unsigned>(ymd.month()), 2);
    text[7] = '-';
    put_digits(text + 8, static_cast<unsigned>(ymd.day()), 2);
}

}  // namespace wire_text

// "YYYY-MM-DD", the wire format of every date.
inline void append_date(std::string& out, Date date) {
    char text[10];
    wire_text::put_date(text, std::chrono::year_month_day{date});
    out.append(text, sizeof text);
}

inline std::string format_date(Date date) {
    std::string text;
    append_date(text, date);
    return text;
}

// "YYYY-MM-DDTHH:MM:SS.ffffffZ", the wire format of every instant: UTC, always six fractional
// digits.
inline void append_timestamp(std::string& out, Timestamp timestamp) {
    const Date day = std::chrono::floor<std::chrono::days>(timestamp);
    const std::int64_t micros = (timestamp - day).count();  // 0 .. 86'399'999'999
    const auto seconds = static_cast<unsigned>(micros / 1'000'000);
    char text[27];
    wire_text::put_date(text, std::chrono::year_month_day{day});
    text[10] = 'T';
    wire_text::put_digits(text + 11, seconds / 3600, 2);
    text[13] = ':';
    wire_text::put_digits(text + 14, seconds / 60 % 60, 2);
    text[16] = ':';
    wire_text::put_digits(text + 17, seconds % 60, 2);
    text[19] = '.';
    wire_text::put_digits(text + 20, static_cast<unsigned>(micros % 1'000'000), 6);
    text[26] = 'Z';
    out.append(text, sizeof text);
}

inline std::string format_timestamp(Timestamp timestamp) {
    std::string text;
    append_timestamp(text, timestamp);
    return text;
}

// The one date rule, wherever a date is read (bodies, query parameters, config, stored
// rows): exactly "YYYY-MM-DD", a real calendar day, years 0001 to 9999 (Python's date range,
// which the clients we replace used). nullopt otherwise.
inline std::optional<Date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    int fields[3] = {0, 0, 0};
    constexpr std::size_t kStarts[3] = {0, 5, 8};
    constexpr std::size_t kEnds[3] = {4, 7, 10};
    for (int f = 0; f < 3; ++f) {
        for (std::size_t i = kStarts[f]; i < kEnds[f]; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            fields[f] = fields[f] * 10 + (text[i] - '0');
        }
    }
    const std::chrono::year_month_day ymd{std::chrono::year{fields[0]},
                                          std::chrono::month{static_cast<unsigned>(fields[1])},
                                          std::chrono::day{static_cast<unsigned>(fields[2])}};
    if (fields[0] < 1 || !ymd.ok()) return std::nullopt;
    return Date{ymd};
}

// Timestamps as stores keep them: microseconds since 1970-01-01T00:00:00Z.
inline std::int64_t to_micros(Timestamp timestamp) {
    return timestamp.time_since_epoch().count();
}
inline Timestamp from_micros(std::int64_t micros) {
    return Timestamp{std::chrono::microseconds{micros}};
}
// The wall clock at the precision a Timestamp holds.
inline Timestamp now_utc() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

// A trade shows as expired once its maturity date has passed, even before the expiry job
// has marked it, so no read ever shows a matured trade as active.
inline bool is_expired(const Trade& trade, Date business_date) {
    return trade.expired || trade.maturity_date < business_date;
}

}  // namespace tradestore
