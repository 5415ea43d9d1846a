// What the ingest path records: trades by source and outcome, rejections by reason code,
// store batch sizes and commit latencies, failed commits and the queue depth. Handles are
// taken once; the per-source and per-reason counters are looked up in small maps on the
// writer threads (once per item of a committed batch, never on the read path).
#pragma once

#include <tradestore/metrics.h>
#include <tradestore/outcome.h>

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace tradestore::kernel {

class IngestMetrics {
  public:
    explicit IngestMetrics(Metrics& metrics);

    // One committed (or failed) store transaction of `candidates` trades.
    void commit(std::size_t candidates, double seconds, bool failed);
    void item(std::string_view source, const ItemResult& result);
    void unavailable(std::string_view source, std::size_t items);
    // Audit-only entries left out because the store refused even them (never expected).
    void audit_dropped(std::size_t entries) { audit_dropped_.inc(entries); }
    void queue_depth(std::size_t queued) { queue_depth_.set(static_cast<double>(queued)); }

  private:
    enum Slot : std::size_t {
        kCreated,
        kUpdated,
        kReplaced,
        kRejected,
        kReplayed,
        kUnavailable,
        kDeleted,
        kSlots
    };
    Counter& outcome(std::string_view source, Slot slot);

    Metrics& metrics_;
    Histogram& batch_size_;
    Histogram& commit_seconds_;
    Counter& commit_failures_;
    Counter& audit_dropped_;
    Gauge& queue_depth_;
    std::mutex mutex_;
    std::map<std::string, std::array<Counter*, kSlots>, std::less<>> by_source_;
    std::map<std::string, Counter*, std::less<>> by_reason_;
};

}  // namespace tradestore::kernel
