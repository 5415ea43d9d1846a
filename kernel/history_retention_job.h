// History retention ([kernel] history_retention_days): the kernel's own job, run hourly when
// the setting is above 0 and the store keeps history. Each run asks the store to prune the
// versions older than the window that a later version, also older, supersedes
// (TradeHistory::prune_history): each trade keeps its last version before the cut-off, so
// as-of reads inside the window are unchanged. A kernel job, not a store's: one rule for
// every store, and the cut-off is the kernel's clock.
#pragma once

#include <tradestore/job.h>

#include <chrono>

namespace tradestore::kernel {

class HistoryRetentionJob final : public Job {
  public:
    static constexpr std::chrono::milliseconds kInterval = std::chrono::hours{1};

    explicit HistoryRetentionJob(std::chrono::days window) : window_(window) {}

    std::chrono::milliseconds interval() const override { return kInterval; }
    // Throws when the store keeps no history (the kernel schedules the job only when it does).
    void run(Host& host) override;

  private:
    std::chrono::days window_;
};

}  // namespace tradestore::kernel
