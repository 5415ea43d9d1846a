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
};

// A clock fixed at one date, for tests and replays.
class FixedClock final : public BusinessClock {
public:
    explicit FixedClock(Date today, Timestamp now = {}) : today_(today), now_(now) {}
    Date today() const override { return today_; }
    Timestamp now() const override { return now_; }

private:
    Date today_;
    Timestamp now_;
};

}  // namespace tradestore
