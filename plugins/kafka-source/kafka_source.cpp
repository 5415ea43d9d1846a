#include "kafka_source.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "kafka_source_detail.h"
#include "rdkafka_handles.h"

namespace tradestore::kafka {

using namespace detail;

namespace {

constexpr milliseconds kIdlePoll{100};
constexpr milliseconds kThrottle{10'000};
constexpr std::chrono::seconds kErrorEventEvery{60};
// Leaving the group before the close: how long to serve rebalances at most, and how long the
// assignment must stay empty with no rebalance callback before the close may start.
constexpr milliseconds kLeaveGroupLimit{10'000};
constexpr milliseconds kLeaveGroupQuiet{300};
constexpr milliseconds kLeavePoll{50};

LogLevel level_of(int syslog_level) {
    if (syslog_level <= 3) return LogLevel::Error;
    if (syslog_level == 4) return LogLevel::Warning;
    if (syslog_level <= 6) return LogLevel::Info;
    return LogLevel::Debug;
}

std::set<TopicPartition> partition_set(const rd_kafka_topic_partition_list_t* list) {
    std::set<TopicPartition> partitions;
    for (int i = 0; i < list->cnt; ++i) {
        partitions.insert({list->elems[i].topic, list->elems[i].partition});
    }
    return partitions;
}

void check_error(rd_kafka_error_t* error, const std::string& what) {
    if (error == nullptr) return;
    const std::string text = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw std::runtime_error(what + ": " + text);
}

bool auto_commit_enabled(const KafkaConfig& config) {
    bool enabled = true;
    for (const KafkaProperty& property : config.properties) {
        if (property.name == "enable.auto.commit" &&
            property.scope != KafkaProperty::Scope::Producer) {
            enabled = !(property.value == "false" || property.value == "0");
        }
    }
    return enabled;
}

}  // namespace

KafkaSource::KafkaSource(KafkaConfig config)
    : config_(std::move(config)),
      auto_commit_(auto_commit_enabled(config_)),
      backoff_(kFirstBackoff) {
    make_conf(consumer_properties(config_), "consumer");  // refuses a bad property now
    producer_ = std::make_unique<Producer>(
        config_, [this](LogLevel level, const std::string& message) { log(level, message); });
}

KafkaSource::~KafkaSource() {
    stop();
    if (consumer_ != nullptr) close_consumer();  // started, but the thread never ran
}

void KafkaSource::log(LogLevel level, const std::string& message) const {
    if (host_ != nullptr) host_->log(level, "kafka-source", message);
}

void KafkaSource::log_throttled(LogLevel level, const std::string& message) {
    const auto now = Clock::now();
    if (message == last_throttled_ && now - last_throttled_at_ < kThrottle) return;
    last_throttled_ = message;
    last_throttled_at_ = now;
    log(level, message);
}

void KafkaSource::emit_error_event(rd_kafka_resp_err_t code, std::string_view reason, bool fatal) {
    if (host_ == nullptr) return;
    std::int64_t repeats = 0;
    {
        std::lock_guard lock(error_events_mutex_);
        ErrorEventState& state = error_events_[static_cast<int>(code)];
        const auto now = Clock::now();
        if (state.last_emitted != Clock::time_point{} &&
            now - state.last_emitted < kErrorEventEvery) {
            ++state.repeats;
            return;
        }
        repeats = state.repeats;
        state = {now, 0};
    }
    std::string data = "{\"code\":";
    append_json_string(data, rd_kafka_err2name(code));
    data += ",\"error\":";
    append_json_string(data, rd_kafka_err2str(code));
    data += ",\"reason\":";
    append_json_string(data, reason);
    data += ",\"brokers\":";
    append_json_string(data, config_.brokers);
    data += ",\"group\":";
    append_json_string(data, config_.group_id);
    data += std::string(",\"fatal\":") + (fatal ? "true" : "false");
    data += ",\"repeats_since_last\":" + std::to_string(repeats) + "}";
    host_->emit_event("KAFKA_ERROR", fatal ? EventSeverity::Error : EventSeverity::Warning, data);
}

void KafkaSource::mark_progress() {
    last_progress_ms_.store(now_ms());
}

bool KafkaSource::stalled() const {
    const std::int64_t since = waiting_since_ms_.load();
    return since != 0 && now_ms() - since > config_.stall_timeout.count();
}

void KafkaSource::check_stall() {
    std::int64_t since = 0;
    for (const auto& [partition, lane] : lanes_) {
        if (lane.waiting_since_ms != 0 && (since == 0 || lane.waiting_since_ms < since))
            since = lane.waiting_since_ms;
    }
    waiting_since_ms_.store(since);
    const bool now_stalled = stalled();
    if (now_stalled == stall_reported_) return;
    stall_reported_ = now_stalled;
    metrics_.stalled->set(now_stalled ? 1 : 0);
    if (!now_stalled) {
        log(LogLevel::Info, "a batch committed; the partitions are no longer stalled");
        return;
    }
    const auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(milliseconds(now_ms() - since));
    const std::size_t held = messages_held();
    log(LogLevel::Error, std::to_string(held) + " message(s) on " + describe(assigned_) +
                             " have waited " + std::to_string(waited.count()) +
                             " s with nothing committed; the source reports itself stalled");
    std::string data = "{\"partitions\":";
    append_json_string(data, describe(assigned_));
    data += ",\"waiting_messages\":" + std::to_string(held);
    data += ",\"waiting_seconds\":" + std::to_string(waited.count());
    data += ",\"stall_timeout_seconds\":" +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(config_.stall_timeout).count());
    data += ",\"group\":";
    append_json_string(data, config_.group_id);
    data += ",\"last_error\":";
    append_json_string(data, last_throttled_);
    data += '}';
    host_->emit_event("KAFKA_STALLED", EventSeverity::Error, data);
}

std::size_t KafkaSource::messages_held() const {
    std::size_t held = 0;
    for (const auto& [partition, lane] : lanes_) {
        held += lane.queued() + (lane.in_flight ? lane.in_flight->records.size() : 0);
    }
    return held;
}

// --- lifecycle ----------------------------------------------------------------------------

void KafkaSource::take_metric_handles(Metrics& metrics) {
    const auto labels = [this](std::string result = {}) {
        MetricLabels list{{"group", config_.group_id}};
        if (!result.empty()) list.emplace_back("result", std::move(result));
        return list;
    };
    constexpr std::string_view kMessages =
        "Kafka messages handled by the kafka-source, by result (applied: a decision of the "
        "store; dead_lettered; skipped: a replay below the recorded position)";
    metrics_.lag = &metrics.gauge("tradestore_kafka_consumer_lag",
                                  "Messages behind the end of the assigned partitions (from "
                                  "librdkafka's statistics, every 5 s; -1 when unknown)",
                                  labels());
    metrics_.up =
        &metrics.gauge("tradestore_kafka_up",
                       "1 while the consumer reaches a broker and makes progress", labels());
    metrics_.paused =
        &metrics.gauge("tradestore_kafka_paused",
                       "1 while consumption is paused for a batch being retried", labels());
    metrics_.applied =
        &metrics.counter("tradestore_kafka_messages_total", kMessages, labels("applied"));
    metrics_.dead_lettered =
        &metrics.counter("tradestore_kafka_messages_total", kMessages, labels("dead_lettered"));
    metrics_.skipped =
        &metrics.counter("tradestore_kafka_messages_total", kMessages, labels("skipped"));
    metrics_.retries = &metrics.counter(
        "tradestore_kafka_batch_retries_total",
        "Batches retried because the store or the dead-letter topic failed", labels());
    metrics_.results_lost = &metrics.counter(
        "tradestore_kafka_results_lost_total",
        "Result records the results topic did not get (refused or not delivered; each is logged)",
        labels());
    producer_->count_failed_async(*metrics_.results_lost);
    metrics_.stalled = &metrics.gauge(
        "tradestore_kafka_stalled",
        "1 while messages have waited longer than stall_timeout with nothing committed", labels());
    metrics_.lag->set(-1);
}

void KafkaSource::start(Host& host) {
    host_ = &host;
    if (config_.topics.empty()) {  // only the change feed: nothing to consume
        log(LogLevel::Info,
            "no topics to consume; publishing the change feed to " + config_.changes_topic);
        return;
    }
    take_metric_handles(host.metrics());
    ConfPtr conf = make_conf(consumer_properties(config_), "consumer");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::rebalance_cb);
    rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::error_cb);
    rd_kafka_conf_set_stats_cb(conf.get(), &KafkaSource::stats_cb);
    rd_kafka_conf_set_log_cb(conf.get(), &KafkaSource::log_cb);
    rd_kafka_conf_set_offset_commit_cb(conf.get(), &KafkaSource::commit_cb);
    char error[512];
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
    if (consumer_ == nullptr) throw std::runtime_error(std::string("kafka consumer: ") + error);
    conf.release();  // owned by consumer_ now
    rd_kafka_poll_set_consumer(consumer_);
    consumer_queue_ = rd_kafka_queue_get_consumer(consumer_);
    completions_->set_wake([queue = consumer_queue_] { rd_kafka_queue_yield(queue); });

    PartitionListPtr topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
    for (const std::string& topic : config_.topics) {
        rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const rd_kafka_resp_err_t result = rd_kafka_subscribe(consumer_, topics.get())) {
        completions_->set_wake(nullptr);
        rd_kafka_queue_destroy(consumer_queue_);
        consumer_queue_ = nullptr;
        rd_kafka_destroy(consumer_);
        consumer_ = nullptr;
        throw std::runtime_error("kafka: cannot subscribe: " + error_text(result));
    }

    mark_progress();
    running_.store(true);
    thread_ = std::thread([this] { run(); });
    log(LogLevel::Info,
        "consuming " + std::to_string(config_.topics.size()) + " topic(s) from " + config_.brokers +
            " as group " + config_.group_id + "; dead letters to " + config_.dead_letter_topic +
            (config_.results_topic.empty() ? std::string()
                                           : ", results to " + config_.results_topic));
}

void KafkaSource::stop() {
    if (!thread_.joinable()) return;
    stop_requested_.store(true);
    thread_.join();
}

bool KafkaSource::healthy() const {
    if (config_.topics.empty()) return true;  // consumes nothing; the feed reports its own
    return running_.load() && brokers_up_.load() && !stalled() &&
           now_ms() - last_progress_ms_.load() < kPollThreadLimit.count();
}

std::map<std::string, std::string> KafkaSource::health_details() const {
    if (config_.topics.empty()) return {};
    const std::int64_t lag = consumer_lag();
    return {{"kafka_consumer_lag", lag < 0 ? "unknown" : std::to_string(lag)},
            {"kafka_stalled", stalled() ? "true" : "false"}};
}

void KafkaSource::run() {
    while (!stop_requested_.load()) {
        poll_messages(poll_timeout());
        handle_completions();
        submit_due_lanes();
        update_pauses();
        check_stall();
        producer_->poll();
    }
    drain_for_shutdown();
    commit_sync();
    if (const int left = producer_->flush(milliseconds(5'000)); left > 0) {
        log(LogLevel::Warning, std::to_string(left) + " result record(s) were not delivered");
    }
    close_consumer();
    running_.store(false);
    metrics_.up->set(0);
}

void KafkaSource::drain_for_shutdown() {
    shutdown_deadline_ = Clock::now() + config_.shutdown_timeout;
    update_pauses();  // stopping: nothing more is fetched
    for (;;) {
        handle_completions();
        const bool past_deadline = Clock::now() >= *shutdown_deadline_;
        if (!past_deadline) submit_due_lanes();
        const bool in_flight = std::any_of(lanes_.begin(), lanes_.end(),
                                           [](const auto& lane) { return lane.second.in_flight; });
        if (!in_flight && (past_deadline || messages_held() == 0)) break;
        if (past_deadline && Clock::now() >= *shutdown_deadline_ + kPollThreadLimit) {
            log(LogLevel::Error, "batches in flight did not finish within " +
                                     std::to_string(kPollThreadLimit.count()) +
                                     " ms past shutdown_timeout; leaving them to the store's "
                                     "replay check");
            break;
        }
        // Keeps the group membership alive; what still arrives is left for redelivery.
        poll_messages(milliseconds(20));
    }
    if (const std::size_t left = messages_held(); left > 0) {
        log(LogLevel::Warning, "stopping with " + std::to_string(left) +
                                   " message(s) not committed; their offsets are not stored, so "
                                   "they are delivered again");
    }
    for (auto it = lanes_.begin(); it != lanes_.end();) {
        if (it->second.in_flight) {
            ++it;
            continue;
        }
        buffered_bytes_ -= it->second.waiting_bytes;
        if (it->second.prepared) buffered_bytes_ -= it->second.prepared->bytes;
        it = lanes_.erase(it);
    }
}

void KafkaSource::close_consumer() {
    if (consumer_ == nullptr) return;
    leave_group();
    // Nothing is assigned any more: the close only terminates the group handle.
    if (const rd_kafka_resp_err_t result = rd_kafka_consumer_close(consumer_)) {
        log(LogLevel::Warning, "closing the consumer: " + error_text(result));
    }
    completions_->set_wake(nullptr);  // a batch given up on may still answer
    if (consumer_queue_ != nullptr) rd_kafka_queue_destroy(consumer_queue_);
    consumer_queue_ = nullptr;
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
    log(LogLevel::Info, "consumer closed; left group " + config_.group_id);
}

// librdkafka 2.0.2 aborts the process inside rd_kafka_consumer_close (assert
// !rd_kafka_assignment_in_progress in rd_kafka_cgrp_terminated) when the close meets a
// rebalance, a commit or an assignment still under way (librdkafka #4792, #4527). So the group
// is left first, while this thread serves the rebalance callbacks as usual (the revoke commits
// and unassigns); the close then starts with nothing assigned and nothing pending.
void KafkaSource::leave_group() {
    if (const rd_kafka_resp_err_t result = rd_kafka_unsubscribe(consumer_)) {
        log(LogLevel::Warning, "unsubscribing: " + error_text(result));
        return;
    }
    const auto deadline = Clock::now() + kLeaveGroupLimit;
    while (Clock::now() < deadline) {
        MessagePtr message(rd_kafka_consumer_poll(consumer_, static_cast<int>(kLeavePoll.count())));
        // Messages still arriving are dropped: their offsets are not stored, so the
        // partition's next owner reads them again.
        if (message && message->err) on_consumer_error(*message);
        if (assignment_empty() && Clock::now() - last_rebalance_at_ >= kLeaveGroupQuiet) return;
    }
    log(LogLevel::Warning, "the group assignment did not settle within " +
                               std::to_string(kLeaveGroupLimit.count()) +
                               " ms of unsubscribing; closing anyway");
}

bool KafkaSource::assignment_empty() const {
    if (!assigned_.empty()) return false;
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(consumer_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
    const PartitionListPtr assignment(list);
    return assignment->cnt == 0;
}

// --- polling --------------------------------------------------------------------------------

void KafkaSource::poll_messages(milliseconds timeout) {
    constexpr int kMostPerCall = 1000;  // then the lanes and completions get their turn
    for (int taken = 0; taken < kMostPerCall; ++taken) {
        MessagePtr message(
            rd_kafka_consumer_poll(consumer_, taken == 0 ? static_cast<int>(timeout.count()) : 0));
        mark_progress();
        if (!message) return;
        if (message->err) {
            on_consumer_error(*message);
            continue;
        }
        if (stop_requested_.load()) continue;  // left for redelivery
        accept(*message);
    }
}

milliseconds KafkaSource::poll_timeout() const {
    // A completion wakes the poll (CompletionQueue's wake yields the consumer queue).
    const auto now = Clock::now();
    milliseconds timeout = kIdlePoll;
    for (const auto& [partition, lane] : lanes_) {
        if (lane.in_flight || lane.queued() == 0) continue;
        if (lane.prepared && !lane.retry_at) return milliseconds(0);
        const auto due =
            lane.retry_at ? *lane.retry_at : lane.first_waiting_at + config_.batch_wait;
        timeout = std::min(timeout, std::chrono::duration_cast<milliseconds>(due - now));
    }
    return std::max(timeout, milliseconds(0));
}

void KafkaSource::accept(const rd_kafka_message_t& message) {
    brokers_up_.store(true);
    TopicPartition tp{rd_kafka_topic_name(message.rkt), message.partition};
    if (!assigned_.contains(tp)) return;  // left over from a revoked assignment
    PartitionLane& lane = lanes_[tp];
    if (lane.waiting.empty()) lane.first_waiting_at = Clock::now();
    if (lane.waiting_since_ms == 0) lane.waiting_since_ms = now_ms();
    KafkaRecord& record = lane.waiting.emplace_back(record_of(message));
    const std::size_t bytes = buffered_bytes(record);
    lane.waiting_bytes += bytes;
    buffered_bytes_ += bytes;
}

void KafkaSource::on_consumer_error(const rd_kafka_message_t& message) {
    std::string text = "consumer: " + error_text(message.err);
    if (message.rkt != nullptr) {
        text += " (" + std::string(rd_kafka_topic_name(message.rkt)) + "/" +
                std::to_string(message.partition) + ")";
    }
    if (message.payload != nullptr && message.len > 0) {
        text += ": " + std::string(static_cast<const char*>(message.payload), message.len);
    }
    log_throttled(LogLevel::Warning, text);
}

void KafkaSource::wait_polling(milliseconds duration) {
    // Keeps serving the consumer (rebalances, statistics, group membership) while refused
    // trades wait for the dead-letter topic. Partitions are paused, so messages arrive only
    // from a fetch that was already under way; they join their lanes.
    const auto until = Clock::now() + duration;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
        if (left.count() <= 0 || (stop_requested_.load() && !shutdown_deadline_)) return;
        MessagePtr message(
            rd_kafka_consumer_poll(consumer_, static_cast<int>(std::min(left, kIdlePoll).count())));
        mark_progress();
        check_stall();
        if (!message) continue;
        if (message->err) {
            on_consumer_error(*message);
        } else if (!stop_requested_.load()) {
            accept(*message);
        }
    }
}

// --- delivering a batch -----------------------------------------------------------------------

bool KafkaSource::read_positions(const std::set<TopicPartition>& partitions) {
    bool all = true;
    for (const TopicPartition& tp : partitions) {
        try {
            const std::optional<std::int64_t> position =
                host_->ingest().position(std::string(kSourceName), tp.topic, tp.partition);
            if (position) {
                positions_[tp] = *position;
            } else {
                positions_.erase(tp);
            }
            unknown_positions_.erase(tp);
        } catch (const std::exception& error) {
            unknown_positions_.insert(tp);
            log_throttled(LogLevel::Warning, "cannot read the recorded position of " + tp.topic +
                                                 "/" + std::to_string(tp.partition) + ": " +
                                                 error.what());
            all = false;
        }
    }
    return all;
}

void KafkaSource::dead_letter_after_commit(const std::vector<OutgoingMessage>& letters) {
    if (letters.empty()) return;
    milliseconds backoff = kFirstBackoff;
    for (;;) {
        const std::string failure = producer_->produce_and_wait(letters, kDeadLetterTimeout);
        if (failure.empty()) {
            dead_letters_failing_ = false;
            update_pauses();
            return;
        }
        if (stop_requested_.load()) {
            log(LogLevel::Error, std::to_string(letters.size()) +
                                     " trade(s) the store refused were not written to " +
                                     config_.dead_letter_topic + " (" + failure +
                                     "); their audit entries record them");
            dead_letters_failing_ = false;
            return;
        }
        log_throttled(LogLevel::Warning, "cannot write refused trades to dead-letter topic " +
                                             config_.dead_letter_topic + ": " + failure +
                                             "; retrying");
        dead_letters_failing_ = true;
        update_pauses();
        wait_polling(backoff);
        backoff = std::min(backoff * 2, config_.retry_backoff_max);
    }
}

void KafkaSource::store_offsets(const std::map<TopicPartition, std::int64_t>& next_offsets) {
    if (next_offsets.empty()) return;
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
    for (const auto& [tp, offset] : next_offsets) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
            offset;
    }
    if (const rd_kafka_resp_err_t result = rd_kafka_offsets_store(consumer_, list.get())) {
        // A partition revoked meanwhile refuses the store; its next owner starts from the
        // store's recorded position anyway.
        log(LogLevel::Debug, "offsets_store: " + error_text(result));
    }
    if (!auto_commit_) rd_kafka_commit(consumer_, nullptr, 1 /* async */);
}

void KafkaSource::commit_sync() {
    const rd_kafka_resp_err_t result = rd_kafka_commit(consumer_, nullptr, 0 /* sync */);
    if (result && result != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        log(LogLevel::Warning, "commit failed: " + error_text(result));
    }
}

// --- rebalancing ------------------------------------------------------------------------------

void KafkaSource::on_rebalance(rd_kafka_resp_err_t error,
                               rd_kafka_topic_partition_list_t* partitions) {
    last_rebalance_at_ = Clock::now();
    const bool cooperative =
        std::string_view(rd_kafka_rebalance_protocol(consumer_)) == "COOPERATIVE";
    const bool assigning = error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    try {
        if (assigning) {
            on_assign(partitions, cooperative);
        } else {
            if (error != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                log(LogLevel::Error, "rebalance failed: " + error_text(error));
            }
            on_revoke(partitions, cooperative);
        }
    } catch (const std::exception& failure) {
        log(LogLevel::Error, std::string("rebalance: ") + failure.what());
        // The group waits for the unassign call whatever went wrong before it; without it
        // the member never rejoins and a close would find the rebalance still in progress.
        if (!assigning) unassign(partitions, cooperative);
    }
    last_rebalance_at_ = Clock::now();
}

void KafkaSource::on_assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    const std::set<TopicPartition> added = partition_set(partitions);
    read_positions(added);
    std::string starts;
    for (int i = 0; i < partitions->cnt; ++i) {
        rd_kafka_topic_partition_t& elem = partitions->elems[i];
        const auto position = positions_.find({elem.topic, elem.partition});
        // Start right after what the store applied; without a recorded position (or while
        // the store cannot say), start from the committed offset and skip replays later.
        if (position != positions_.end()) elem.offset = position->second + 1;
        if (!starts.empty()) starts += ", ";
        starts += std::string(elem.topic) + "/" + std::to_string(elem.partition) + "@" +
                  (position != positions_.end() ? std::to_string(elem.offset) : "committed");
    }
    if (cooperative) {
        check_error(rd_kafka_incremental_assign(consumer_, partitions), "incremental assign");
    } else {
        if (const rd_kafka_resp_err_t result = rd_kafka_assign(consumer_, partitions)) {
            throw std::runtime_error("assign: " + error_text(result));
        }
    }
    assigned_.insert(added.begin(), added.end());
    // A partition assigned again may still carry librdkafka's pause from before; while a
    // batch is retried the new partitions wait with the others. The assign call above has
    // already added them to the consumer's assignment, so either call applies.
    for (const TopicPartition& tp : added) paused_.erase(tp);
    const bool pause = store_failing_ || dead_letters_failing_ || over_budget_;
    set_paused(added, pause);
    brokers_up_.store(true);
    log(LogLevel::Info, "assigned " + starts);
}

void KafkaSource::on_revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    // A failed rebalance may come without a list: everything assigned goes.
    const std::set<TopicPartition> revoked =
        partitions != nullptr ? partition_set(partitions) : assigned_;
    // The revoked partitions' batches in flight commit first, so their offsets are stored
    // before the commit below; then what waits is applied now if the store takes it (once),
    // otherwise dropped, uncommitted, for the next owner. A batch this gives up waiting for is
    // fenced by the store: the next owner's position makes it a replay.
    wait_in_flight(revoked, kPollThreadLimit / 2);
    if (!store_failing_ && !dead_letters_failing_) {
        for (const TopicPartition& tp : revoked) {
            const auto lane = lanes_.find(tp);
            if (lane != lanes_.end() && !lane->second.in_flight && lane->second.queued() > 0)
                submit_lane(tp);
        }
        wait_in_flight(revoked, kPollThreadLimit / 2);
    }
    std::size_t left = 0;
    for (const TopicPartition& tp : revoked) {
        const auto lane = lanes_.find(tp);
        if (lane == lanes_.end()) continue;
        left += lane->second.queued();
        drop_lane(tp);
    }
    if (left > 0) {
        log(LogLevel::Info, "revoked partitions leave " + std::to_string(left) +
                                " uncommitted message(s) to the next owner");
    }
    // A lost assignment (session timed out, fenced) cannot commit; the broker would refuse it.
    if (!rd_kafka_assignment_lost(consumer_)) commit_sync();
    unassign(partitions, cooperative);
    for (const TopicPartition& tp : revoked) {
        assigned_.erase(tp);
        positions_.erase(tp);
        unknown_positions_.erase(tp);
        paused_.erase(tp);
    }
    metrics_.paused->set(paused_.empty() ? 0 : 1);
    log(LogLevel::Info, "revoked " + describe(revoked));
}

void KafkaSource::unassign(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    if (cooperative) {
        PartitionListPtr everything;
        if (partitions == nullptr) {
            everything = partition_list(assigned_);
            partitions = everything.get();
        }
        if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(consumer_, partitions)) {
            log(LogLevel::Error,
                std::string("incremental unassign: ") + rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    } else if (const rd_kafka_resp_err_t result = rd_kafka_assign(consumer_, nullptr)) {
        log(LogLevel::Error, "unassign: " + error_text(result));
    }
}

// --- callbacks --------------------------------------------------------------------------------

void KafkaSource::rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t error,
                               rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    (void)rk;
    static_cast<KafkaSource*>(opaque)->on_rebalance(error, partitions);
}

void KafkaSource::error_cb(rd_kafka_t* rk, int error, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaSource*>(opaque);
    const auto code = static_cast<rd_kafka_resp_err_t>(error);
    if (code == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->brokers_up_.store(false);
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        self->log(LogLevel::Error, std::string("consumer fatal error: ") + fatal);
        self->brokers_up_.store(false);
        self->emit_error_event(code, fatal, true);
        return;
    }
    self->emit_error_event(code, reason != nullptr ? reason : "", false);
    // Served on the poll thread (the main queue is forwarded to the consumer's).
    self->log_throttled(LogLevel::Warning,
                        std::string("consumer: ") + rd_kafka_err2str(code) + ": " + reason);
}

int KafkaSource::stats_cb(rd_kafka_t* rk, char* json, size_t json_len, void* opaque) {
    (void)rk;
    static_cast<KafkaSource*>(opaque)->on_stats(std::string_view(json, json_len));
    return 0;  // librdkafka frees the JSON
}

void KafkaSource::on_stats(std::string_view json) {
    // Only two facts are needed, so a scan does: is any broker connection up, and the sum of
    // the assigned partitions' lag (partitions not consumed report -1).
    brokers_up_.store(json.find("\"state\":\"UP\",") != std::string_view::npos);
    constexpr std::string_view key = "\"consumer_lag\":";
    std::int64_t lag = 0;
    bool known = false;
    for (std::size_t at = json.find(key); at != std::string_view::npos;
         at = json.find(key, at + key.size())) {
        const char* begin = json.data() + at + key.size();
        std::int64_t value = 0;
        if (std::from_chars(begin, json.data() + json.size(), value).ec == std::errc{} &&
            value >= 0) {
            lag += value;
            known = true;
        }
    }
    lag_.store(known ? lag : -1);
    metrics_.lag->set(static_cast<double>(lag_.load()));
    metrics_.up->set(healthy() ? 1 : 0);
}

void KafkaSource::log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    const auto* self = static_cast<const KafkaSource*>(rd_kafka_opaque(rk));
    if (self != nullptr) {
        self->log(level_of(level), std::string("consumer ") + facility + ": " + text);
    }
}

void KafkaSource::commit_cb(rd_kafka_t* rk, rd_kafka_resp_err_t error,
                            rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    (void)rk;
    (void)offsets;
    if (error && error != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        static_cast<KafkaSource*>(opaque)->log(LogLevel::Warning,
                                               "offset commit failed: " + error_text(error));
    }
}

}  // namespace tradestore::kafka
