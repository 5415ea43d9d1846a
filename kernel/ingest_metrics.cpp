#include "ingest_metrics.h"

namespace tradestore::kernel {

namespace {

constexpr double kBatchSizeBuckets[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
constexpr std::string_view kSlotNames[] = {"created",  "updated",     "replaced", "rejected",
                                           "replayed", "unavailable", "deleted"};

}  // namespace

IngestMetrics::IngestMetrics(Metrics& metrics)
    : metrics_(metrics),
      batch_size_(metrics.histogram("tradestore_store_batch_size",
                                    "Trades applied in one store transaction.", kBatchSizeBuckets)),
      commit_seconds_(metrics.histogram("tradestore_store_commit_duration_seconds",
                                        "Time to apply one batch in one store transaction.",
                                        kLatencyBuckets)),
      commit_failures_(metrics.counter("tradestore_store_commit_failures_total",
                                       "Store transactions that failed (nothing committed).")),
      audit_dropped_(metrics.counter(
          "tradestore_ingest_audit_dropped_total",
          "Audit-only entries (dead letters, refused trades) not recorded because the store "
          "refused them too; the stream went on without them.")),
      queue_depth_(metrics.gauge("tradestore_ingest_queue_depth",
                                 "Batches waiting for an ingest writer.")) {}

void IngestMetrics::commit(std::size_t candidates, double seconds, bool failed) {
    if (failed) {
        commit_failures_.inc();
        return;
    }
    batch_size_.observe(static_cast<double>(candidates));
    commit_seconds_.observe(seconds);
}

Counter& IngestMetrics::outcome(std::string_view source, Slot slot) {
    std::lock_guard lock(mutex_);
    auto it = by_source_.find(source);
    if (it == by_source_.end()) {
        std::array<Counter*, kSlots> counters{};
        for (std::size_t i = 0; i < kSlots; ++i) {
            counters[i] = &metrics_.counter(
                "tradestore_trades_processed_total",
                "Trades through the ingest path by source and outcome.",
                {{"source", std::string(source)}, {"outcome", std::string(kSlotNames[i])}});
        }
        it = by_source_.emplace(std::string(source), counters).first;
    }
    return *it->second[slot];
}

void IngestMetrics::item(std::string_view source, const ItemResult& result) {
    Slot slot = kRejected;
    if (result.skipped_as_replay) {
        slot = kReplayed;
    } else {
        switch (result.outcome) {
            case Outcome::Created:
                slot = kCreated;
                break;
            case Outcome::Updated:
                slot = kUpdated;
                break;
            case Outcome::Replaced:
                slot = kReplaced;
                break;
            case Outcome::Rejected:
                slot = kRejected;
                break;
            case Outcome::Deleted:
                slot = kDeleted;
                break;
        }
    }
    outcome(source, slot).inc();
    if (result.outcome != Outcome::Rejected) return;
    for (const Rejection& reason : result.reasons) {
        Counter* counter = nullptr;
        {
            std::lock_guard lock(mutex_);
            auto it = by_reason_.find(reason.code);
            if (it == by_reason_.end()) {
                counter = &metrics_.counter("tradestore_rejections_total",
                                            "Rejected trades by reason code (a trade rejected "
                                            "for several reasons counts under each).",
                                            {{"reason", reason.code}});
                by_reason_.emplace(reason.code, counter);
            } else {
                counter = it->second;
            }
        }
        counter->inc();
    }
}

void IngestMetrics::unavailable(std::string_view source, std::size_t items) {
    outcome(source, kUnavailable).inc(items);
}

}  // namespace tradestore::kernel
