// Deletes expired idempotency keys (see idempotent_submit.cpp), at start and every interval.
// Scheduled by the kernel like any job: with several instances on one database, each period
// runs once.
#pragma once

#include <tradestore/job.h>

namespace tradestore::rest {

class IdempotencyPruneJob final : public Job {
  public:
    explicit IdempotencyPruneJob(std::chrono::milliseconds interval) : interval_(interval) {}

    std::chrono::milliseconds interval() const override { return interval_; }
    void run(Host& host) override;

  private:
    std::chrono::milliseconds interval_;
};

}  // namespace tradestore::rest
