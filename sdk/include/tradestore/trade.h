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

// "YYYY-MM-DD", the wire format of every date.
inline std::string format_date(Date date) {
    const std::chrono::year_month_day ymd{date};
    const int year = static_cast<int>(ymd.year());
    const unsigned month = static_cast<unsigned>(ymd.month());
    const unsigned day = static_cast<unsigned>(ymd.day());
    std::string text(10, '0');
    const auto put = [&text](std::size_t at, unsigned value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10) text[at + i] = char('0' + value % 10);
    };
    put(0, static_cast<unsigned>(year < 0 ? 0 : year), 4);
    text[4] = '-';
    put(5, month, 2);
    text[7] = '-';
    put(8, day, 2);
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
