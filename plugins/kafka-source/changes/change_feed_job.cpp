#include "change_feed_job.h"

#include <tradestore/history.h>

#include <stdexcept>
#include <utility>

#include "change_messages.h"

namespace tradestore::kafka {

ChangeFeedJob::ChangeFeedJob(KafkaConfig config) : config_(std::move(config)) {}

void ChangeFeedJob::log(Host& host, LogLevel level, const std::string& message) const {
    host.log(level, "kafka-source", "change feed: " + message);
}

void ChangeFeedJob::start(Host& host) {
    producer_ = std::make_unique<Producer>(
        config_,
        [&host, this](LogLevel level, const std::string& message) { log(host, level, message); });
    try {
        Metrics& metrics = host.metrics();
        backlog_gauge_ = &metrics.gauge(
            "tradestore_change_feed_unpublished_rows",
            "History rows in the store's change outbox not yet published to changes_topic "
            "(counted once per run)");
        published_counter_ = &metrics.counter("tradestore_change_feed_published_total",
                                              "History rows published to changes_topic");
        failed_runs_counter_ =
            &metrics.counter("tradestore_change_feed_failed_runs_total",
                             "Change feed runs that stopped on a batch Kafka did not acknowledge");
    } catch (const std::exception& error) {
        backlog_gauge_ = nullptr;
        published_counter_ = failed_runs_counter_ = nullptr;
        log(host, LogLevel::Warning, std::string("no metrics: ") + error.what());
    }
    log(host, LogLevel::Info,
        "publishing the store's change outbox to " + config_.changes_topic + " every " +
            std::to_string(config_.changes_interval.count()) + "ms");
    started_ = true;
}

void ChangeFeedJob::run(Host& host) {
    ChangeOutbox* outbox = host.capabilities().change_outbox;
    if (outbox == nullptr) {
        {
            std::lock_guard lock(state_mutex_);
            state_ = "no change outbox";
        }
        throw std::runtime_error(
            "kafka-source: changes_topic is set but the store queues no changes; set "
            "change_feed = true in the store's section");
    }
    if (!started_) start(host);

    const auto stop_after = std::chrono::steady_clock::now() + kLongestRun;
    std::string failure;
    for (;;) {
        const std::vector<HistoryChange> changes = outbox->unpublished_changes(kBatchRows);
        if (changes.empty()) break;
        failure = producer_->produce_and_wait(
            change_messages(changes, config_.changes_topic, host.codec()), kDeliveryWait);
        if (!failure.empty()) break;
        std::vector<std::int64_t> ids;
        ids.reserve(changes.size());
        for (const HistoryChange& change : changes) ids.push_back(change.id);
        outbox->mark_changes_published(ids);
        if (published_counter_ != nullptr) published_counter_->inc(ids.size());
        if (static_cast<std::int64_t>(changes.size()) < kBatchRows ||
            std::chrono::steady_clock::now() >= stop_after) {
            break;
        }
    }
    if (backlog_gauge_ != nullptr) {
        backlog_gauge_->set(static_cast<double>(outbox->unpublished_change_count()));
    }
    std::lock_guard lock(state_mutex_);
    if (failure.empty()) {
        state_ = "up";
        return;
    }
    state_ = "down";
    if (failed_runs_counter_ != nullptr) failed_runs_counter_->inc();
    throw std::runtime_error("kafka-source: publishing to " + config_.changes_topic +
                             " failed (the rows stay in the outbox): " + failure);
}

std::map<std::string, std::string> ChangeFeedJob::health_details() const {
    std::lock_guard lock(state_mutex_);
    return {{"change_feed", state_}};
}

}  // namespace tradestore::kafka
