#include "history_retention_job.h"

#include <tradestore/history.h>

#include <stdexcept>
#include <string>

namespace tradestore::kernel {

void HistoryRetentionJob::run(Host& host) {
    TradeHistory* history = host.capabilities().trade_history;
    if (history == nullptr) throw std::runtime_error("the store keeps no trade history");
    const std::int64_t pruned = history->prune_history(now_utc() - window_);
    if (pruned > 0) {
        host.log(LogLevel::Info, "history-retention",
                 "pruned " + std::to_string(pruned) + " version(s) older than " +
                     std::to_string(window_.count()) + " day(s)");
    }
}

}  // namespace tradestore::kernel
