#include "business_clock.h"

#include <date/tz.h>

#include <stdexcept>

namespace tradestore::kernel {

ZonedBusinessClock::ZonedBusinessClock(const std::string& time_zone, std::chrono::minutes rollover,
                                       std::optional<Date> fixed_date)
    : zone_(nullptr), rollover_(rollover), fixed_date_(fixed_date) {
    try {
        zone_ = date::locate_zone(time_zone);
    } catch (const std::exception&) {
        throw std::invalid_argument("unknown time zone '" + time_zone + "'");
    }
    if (rollover < std::chrono::minutes{0} || rollover >= std::chrono::hours{24})
        throw std::invalid_argument("roll-over must be between 00:00 and 23:59");
}

Date ZonedBusinessClock::business_date_at(std::chrono::system_clock::time_point instant) const {
    return business_date_at(std::chrono::floor<std::chrono::microseconds>(instant));
}

// In microseconds throughout: a system_clock::time_point (nanoseconds) ends in 2262, and an
// as_of may name any instant up to 9999.
Date ZonedBusinessClock::business_date_at(Timestamp instant) const {
    const auto local = zone_->to_local(instant);
    const auto local_day = date::floor<date::days>(local);
    const Date calendar_date{local_day.time_since_epoch()};
    // From the roll-over time on, the desk is already in the next business day.
    if (rollover_.count() > 0 && local - local_day >= rollover_)
        return calendar_date + date::days{1};
    return calendar_date;
}

Timestamp ZonedBusinessClock::end_of_business_day(Date day) const {
    // Business day D runs from the roll-over on local D-1 to the roll-over on local D (from
    // local midnight to midnight without one): it ends at local D + roll-over, or D + 1 day.
    const std::chrono::minutes end = rollover_.count() > 0 ? rollover_ : std::chrono::hours{24};
    const date::local_time<std::chrono::minutes> local{day.time_since_epoch() + end};
    const auto info = zone_->get_info(local);
    if (info.result == date::local_info::nonexistent) {
        // Skipped by a DST change: the day ends when the clocks jump past it.
        return std::chrono::time_point_cast<std::chrono::microseconds>(info.first.end);
    }
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        zone_->to_sys(local, date::choose::earliest));
}

Date ZonedBusinessClock::today() const {
    if (fixed_date_) return *fixed_date_;
    return business_date_at(std::chrono::system_clock::now());
}

Timestamp ZonedBusinessClock::now() const {
    return now_utc();
}

std::optional<std::chrono::minutes> parse_time_of_day(const std::string& text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    for (std::size_t i : {0u, 1u, 3u, 4u})
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const int hours = (text[0] - '0') * 10 + (text[1] - '0');
    const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
    if (hours > 23 || minutes > 59) return std::nullopt;
    return std::chrono::minutes{hours * 60 + minutes};
}

}  // namespace tradestore::kernel
