// Marks stored trades whose maturity date has passed as expired, at start and every interval.
#pragma once

#include <tradestore/job.h>

namespace tradestore::plugins {

class ExpiryJob final : public Job {
  public:
    ExpiryJob(std::chrono::milliseconds interval, bool run_at_start)
        : interval_(interval), run_at_start_(run_at_start) {}

    std::chrono::milliseconds interval() const override { return interval_; }
    bool run_at_start() const override { return run_at_start_; }
    void run(Host& host) override;

  private:
    std::chrono::milliseconds interval_;
    bool run_at_start_;
};

}  // namespace tradestore::plugins
