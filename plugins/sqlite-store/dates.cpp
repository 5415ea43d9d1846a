#include "dates.h"

#include <stdexcept>
#include <string>

namespace tradestore::plugins::sqlite {
namespace {

bool digits(std::string_view text, unsigned& value) {
    value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}

}  // namespace

Date parse_date(std::string_view text) {
    unsigned year = 0;
    unsigned month = 0;
    unsigned day = 0;
    if (text.size() == 10 && text[4] == '-' && text[7] == '-' && digits(text.substr(0, 4), year) &&
        digits(text.substr(5, 2), month) && digits(text.substr(8, 2), day)) {
        const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(year)},
                                              std::chrono::month{month}, std::chrono::day{day}};
        if (ymd.ok()) return std::chrono::sys_days{ymd};
    }
    throw std::runtime_error("sqlite-store: stored date is not YYYY-MM-DD: '" + std::string(text) +
                             "'");
}

Timestamp now_utc() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

}  // namespace tradestore::plugins::sqlite
