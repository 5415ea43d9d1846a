// The business date: "today" as the desk sees it, which follows a configured time zone and
// an optional roll-over time (a New York desk's business day may turn at 17:00).
#pragma once

#include "tradestore/trade.h"

namespace tradestore {

class BusinessClock {
  public:
    virtual ~BusinessClock() = default;
    virtual Date today() const = 0;
    virtual Timestamp now() const = 0;
    // The business date at an instant (what today() was then).
    virtual Date business_date_at(Timestamp instant) const = 0;
    // The first instant of the business day after `day`: "as of the close of `day`" means
    // everything recorded before it.
    virtual Timestamp end_of_business_day(Date day) const = 0;
};

// A clock fixed at one date, for tests and replays. Instants map to business dates as UTC
// calendar days.
class FixedClock final : public BusinessClock {
  public:
    explicit FixedClock(Date today, Timestamp now = {}) : today_(today), now_(now) {}
    Date today() const override { return today_; }
    Timestamp now() const override { return now_; }
    Date business_date_at(Timestamp instant) const override {
        return std::chrono::floor<std::chrono::days>(instant);
    }
    Timestamp end_of_business_day(Date day) const override {
        return Timestamp{day + std::chrono::days{1}};
    }

  private:
    Date today_;
    Timestamp now_;
};

}  // namespace tradestore
