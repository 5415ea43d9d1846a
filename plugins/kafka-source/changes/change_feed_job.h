// The change feed: kafka-source's job that publishes the store's change outbox
// (tradestore::ChangeOutbox: every accepted version, queued in the transaction that wrote it)
// to `changes_topic`, keyed by trade id, so that risk and reporting systems keep a read model
// without polling. At least once: a batch's rows leave the outbox only after every message
// of it was acknowledged; a failed batch is published again at the next run, whole. Per trade
// in commit order: the outbox is read in id order, a trade's messages go to one partition
// (its key) through an idempotent producer, and a batch is acknowledged before the next one
// is sent. Each message carries the history row's id, so a consumer drops a duplicate by
// keeping, per trade, the highest id it applied. Nothing is lost while Kafka is down: the
// rows wait in the store.
#pragma once

#include <tradestore/job.h>
#include <tradestore/metrics.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kafka_config.h"
#include "kafka_producer.h"

namespace tradestore::kafka {

class ChangeFeedJob final : public Job {
  public:
    // Rows read from the outbox per batch.
    static constexpr std::int64_t kBatchRows = 5000;
    // A run goes on while batches come full, up to this long: the scheduler's other jobs
    // wait for it, and a backlog is published at full speed rather than one batch per
    // interval.
    static constexpr std::chrono::milliseconds kLongestRun{1000};
    // Longest wait for a batch's acknowledgements: librdkafka fails a message after its
    // message.timeout.ms (30 s unless the operator sets kafka.producer.message.timeout.ms).
    static constexpr std::chrono::milliseconds kDeliveryWait{35'000};

    explicit ChangeFeedJob(KafkaConfig config);

    std::chrono::milliseconds interval() const override { return config_.changes_interval; }
    // Publishes batch after batch until the outbox is empty or the run has taken kLongestRun.
    // Throws when the store has no change outbox (change_feed is off there) or a batch was not
    // acknowledged.
    void run(Host& host) override;
    std::map<std::string, std::string> health_details() const override;

  private:
    void start(Host& host);
    void log(Host& host, LogLevel level, const std::string& message) const;

    const KafkaConfig config_;
    std::unique_ptr<Producer> producer_;
    bool started_ = false;
    Gauge* backlog_gauge_ = nullptr;
    Counter* published_counter_ = nullptr;
    Counter* failed_runs_counter_ = nullptr;
    mutable std::mutex state_mutex_;  // health_details() is called from request threads
    std::string state_ = "starting";
};

}  // namespace tradestore::kafka
