// The business date of a desk: the calendar date in a time zone, turning at a roll-over
// time (a New York desk's day may turn at 17:00), or fixed for tests and replays.
#pragma once

#include <tradestore/clock.h>

#include <chrono>
#include <optional>
#include <string>

namespace date {
class time_zone;
}

namespace tradestore::kernel {

class ZonedBusinessClock final : public BusinessClock {
  public:
    // Throws std::invalid_argument for an unknown zone or a roll-over outside 00:00..23:59.
    ZonedBusinessClock(const std::string& time_zone, std::chrono::minutes rollover,
                       std::optional<Date> fixed_date = std::nullopt);

    Date today() const override;
    Timestamp now() const override;
    Date business_date_at(Timestamp instant) const override;
    // The local roll-over time (midnight without one) that starts the next business day, as
    // an instant; a roll-over in a DST gap is the first instant after it.
    Timestamp end_of_business_day(Date day) const override;

    // The business date at a given instant; public so tests can pin the instant.
    Date business_date_at(std::chrono::system_clock::time_point instant) const;

  private:
    const date::time_zone* zone_;
    std::chrono::minutes rollover_;
    std::optional<Date> fixed_date_;
};

// Parses "HH:MM" (00:00..23:59).
std::optional<std::chrono::minutes> parse_time_of_day(const std::string& text);

}  // namespace tradestore::kernel
