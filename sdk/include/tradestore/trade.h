// The trade record, as stored and as served over every API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

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

// A trade shows as expired once its maturity date has passed, even before the expiry job
// has marked it, so no read ever shows a matured trade as active.
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

inline bool is_expired(const Trade& trade, Date business_date) {
    return trade.expired || trade.maturity_date < business_date;
}

}  // namespace tradestore
