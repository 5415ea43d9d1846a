#include "kafka_source.h"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "rdkafka_handles.h"

namespace tradestore::kafka {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kIdlePoll{100};
constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kPollThreadLimit{60'000};    // the poll thread is stuck beyond this
constexpr milliseconds kDeadLetterTimeout{40'000};  // > the producer's message.timeout.ms
constexpr milliseconds kThrottle{10'000};
constexpr std::chrono::seconds kErrorEventEvery{60};
// Leaving the group before the close: how long to serve rebalances at most, and how long the
// assignment must stay empty with no rebalance callback before the close may start.
constexpr milliseconds kLeaveGroupLimit{10'000};
constexpr milliseconds kLeaveGroupQuiet{300};
constexpr milliseconds kLeavePoll{50};

std::int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
}

LogLevel level_of(int syslog_level) {
    if (syslog_level <= 3) return LogLevel::Error;
    if (syslog_level == 4) return LogLevel::Warning;
    if (syslog_level <= 6) return LogLevel::Info;
    return LogLevel::Debug;
}

PartitionListPtr partition_list(const std::set<TopicPartition>& partitions) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const TopicPartition& tp : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    }
    return list;
}

std::set<TopicPartition> partition_set(const rd_kafka_topic_partition_list_t* list) {
    std::set<TopicPartition> partitions;
    for (int i = 0; i < list->cnt; ++i) {
        partitions.insert({list->elems[i].topic, list->elems[i].partition});
    }
    return partitions;
}

std::string describe(const std::set<TopicPartition>& partitions) {
    std::string text;
    for (const TopicPartition& tp : partitions) {
        if (!text.empty()) text += ", ";
        text += tp.topic + "/" + std::to_string(tp.partition);
    }
    return text.empty() ? "none" : text;
}

void check_error(rd_kafka_error_t* error, const std::string& what) {
    if (error == nullptr) return;
    const std::string text = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw std::runtime_error(what + ": " + text);
}

std::int64_t ms_of(Clock::time_point at) {
    return std::chrono::duration_cast<milliseconds>(at.time_since_epoch()).count();
}

// The kernel refused this trade alone: the store could not hold it.
bool refused_by_store(const ItemResult& item) {
    return std::any_of(item.reasons.begin(), item.reasons.end(), [](const Rejection& reason) {
        return reason.code == reason::kStoreRefused;
    });
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
    : config_(std::move(config)), auto_commit_(auto_commit_enabled(config_)) {
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
    const TradeCodec& codec = host_->codec();
    std::string data = "{\"code\":";
    codec.append_json_string(data, rd_kafka_err2name(code));
    data += ",\"error\":";
    codec.append_json_string(data, rd_kafka_err2str(code));
    data += ",\"reason\":";
    codec.append_json_string(data, reason);
    data += ",\"brokers\":";
    codec.append_json_string(data, config_.brokers);
    data += ",\"group\":";
    codec.append_json_string(data, config_.group_id);
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
    waiting_since_ms_.store(pending_.empty() ? 0 : ms_of(first_pending_at_));
    const bool now_stalled = stalled();
    if (now_stalled == stall_reported_) return;
    stall_reported_ = now_stalled;
    metrics_.stalled->set(now_stalled ? 1 : 0);
    if (!now_stalled) {
        log(LogLevel::Info, "a batch committed; the partitions are no longer stalled");
        return;
    }
    const auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - first_pending_at_);
    log(LogLevel::Error, std::to_string(pending_.size()) + " message(s) on " + describe(assigned_) +
                             " have waited " + std::to_string(waited.count()) +
                             " s with nothing committed; the source reports itself stalled");
    const TradeCodec& codec = host_->codec();
    std::string data = "{\"partitions\":";
    codec.append_json_string(data, describe(assigned_));
    data += ",\"waiting_messages\":" + std::to_string(pending_.size());
    data += ",\"waiting_seconds\":" + std::to_string(waited.count());
    data += ",\"stall_timeout_seconds\":" +
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(config_.stall_timeout).count());
    data += ",\"group\":";
    codec.append_json_string(data, config_.group_id);
    data += ",\"last_error\":";
    codec.append_json_string(data, last_throttled_);
    data += '}';
    host_->emit_event("KAFKA_STALLED", EventSeverity::Error, data);
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
    metrics_.stalled = &metrics.gauge(
        "tradestore_kafka_stalled",
        "1 while messages have waited longer than stall_timeout with nothing committed", labels());
    metrics_.lag->set(-1);
}

void KafkaSource::start(Host& host) {
    host_ = &host;
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

    PartitionListPtr topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(config_.topics.size())));
    for (const std::string& topic : config_.topics) {
        rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const rd_kafka_resp_err_t result = rd_kafka_subscribe(consumer_, topics.get())) {
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
    return running_.load() && brokers_up_.load() && !stalled() &&
           now_ms() - last_progress_ms_.load() < kPollThreadLimit.count();
}

std::map<std::string, std::string> KafkaSource::health_details() const {
    const std::int64_t lag = consumer_lag();
    return {{"kafka_consumer_lag", lag < 0 ? "unknown" : std::to_string(lag)},
            {"kafka_stalled", stalled() ? "true" : "false"}};
}

void KafkaSource::run() {
    while (!stop_requested_.load()) {
        fill_batch();
        if (!pending_.empty()) deliver_with_retries();
        check_stall();
        producer_->poll();
    }
    // Stopping: finish the batch in hand, store and commit its offsets, leave the group.
    if (!pending_.empty()) deliver_with_retries();
    commit_sync();
    if (const int left = producer_->flush(milliseconds(5'000)); left > 0) {
        log(LogLevel::Warning, std::to_string(left) + " result record(s) were not delivered");
    }
    close_consumer();
    running_.store(false);
    metrics_.up->set(0);
}

void KafkaSource::close_consumer() {
    if (consumer_ == nullptr) return;
    leave_group();
    // Nothing is assigned any more: the close only terminates the group handle.
    if (const rd_kafka_resp_err_t result = rd_kafka_consumer_close(consumer_)) {
        log(LogLevel::Warning, "closing the consumer: " + error_text(result));
    }
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

void KafkaSource::fill_batch() {
    while (!stop_requested_.load() && pending_.size() < config_.batch_size) {
        milliseconds timeout = kIdlePoll;
        bool waited_enough = false;
        if (!pending_.empty()) {
            const auto left = std::chrono::duration_cast<milliseconds>(
                first_pending_at_ + config_.batch_wait - Clock::now());
            waited_enough = left.count() <= 0;
            timeout = std::clamp(left, milliseconds(0), kIdlePoll);
        }
        MessagePtr message(rd_kafka_consumer_poll(consumer_, static_cast<int>(timeout.count())));
        mark_progress();
        check_stall();
        if (!message) {
            if (waited_enough) return;
            continue;
        }
        if (message->err) {
            on_consumer_error(*message);
            continue;
        }
        accept(*message);
    }
}

void KafkaSource::accept(const rd_kafka_message_t& message) {
    brokers_up_.store(true);
    TopicPartition tp{rd_kafka_topic_name(message.rkt), message.partition};
    if (!assigned_.contains(tp)) return;  // left over from a revoked assignment
    if (pending_.empty()) first_pending_at_ = Clock::now();
    KafkaRecord& record = pending_.emplace_back();
    record.topic = std::move(tp.topic);
    record.partition = message.partition;
    record.offset = message.offset;
    if (message.key != nullptr) {
        record.key.emplace(static_cast<const char*>(message.key), message.key_len);
    }
    if (message.payload != nullptr) {
        record.value.emplace(static_cast<const char*>(message.payload), message.len);
    }
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            KafkaHeader& header = record.headers.emplace_back();
            header.name = name;
            if (value != nullptr) header.value.emplace(static_cast<const char*>(value), size);
        }
    }
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
    // Keeps serving the consumer (rebalances, statistics, group membership) while a batch
    // waits for a retry. Partitions are paused, so messages arrive only from a fetch that was
    // already under way; they join the batch in hand.
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
        } else {
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
                host_->store().position(std::string(kSourceName), tp.topic, tp.partition);
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

KafkaSource::Delivery KafkaSource::deliver() {
    if (pending_.empty()) return Delivery::Committed;
    // Messages polled while refused trades wait for the dead-letter topic join pending_ after
    // these; they belong to the next batch.
    const std::size_t batch_records = pending_.size();

    // Which messages are replays can only be told once the partition's position is known.
    std::set<TopicPartition> unknown;
    for (const KafkaRecord& record : pending_) {
        TopicPartition tp{record.topic, record.partition};
        if (unknown_positions_.contains(tp)) unknown.insert(std::move(tp));
    }
    if (!unknown.empty() && !read_positions(unknown)) return Delivery::Retry;

    const TradeCodec& codec = host_->codec();
    PlannedBatch plan =
        plan_batch(pending_, positions_, codec, host_->clock().today(), config_.dead_letter_topic);

    // Dead letters first: once the store has recorded the position, nothing would send them.
    std::vector<OutgoingMessage> letters;
    std::vector<std::pair<TopicPartition, std::int64_t>> letter_ids;
    for (const DeadLetter& letter : plan.dead_letters) {
        const KafkaRecord& record = pending_[letter.record];
        std::pair<TopicPartition, std::int64_t> id{{record.topic, record.partition}, record.offset};
        if (dead_lettered_.contains(id)) continue;  // sent by an earlier attempt
        letters.push_back({config_.dead_letter_topic, record.key, record.value.value_or(""),
                           dead_letter_headers(record, letter)});
        letter_ids.push_back(std::move(id));
    }
    if (!letters.empty()) {
        const std::string failure = producer_->produce_and_wait(letters, kDeadLetterTimeout);
        if (!failure.empty()) {
            log_throttled(LogLevel::Warning, "cannot write to dead-letter topic " +
                                                 config_.dead_letter_topic + ": " + failure +
                                                 "; the batch will be retried");
            return Delivery::Retry;
        }
        dead_lettered_.insert(letter_ids.begin(), letter_ids.end());
    }

    std::vector<std::pair<std::string, std::int64_t>> submitted;
    if (!config_.results_topic.empty()) {
        submitted.reserve(plan.batch.candidates.size());
        for (const Candidate& candidate : plan.batch.candidates) {
            submitted.emplace_back(candidate.trade.trade_id, candidate.trade.version);
        }
    }
    const std::size_t candidates = plan.batch.candidates.size();
    const bool any_work = candidates > 0 || !plan.batch.positions.empty();
    const std::vector<SourcePosition> positions = plan.batch.positions;  // the batch is moved
    IngestResult result;
    if (any_work) result = host_->ingest().submit_and_wait(std::move(plan.batch));
    if (result.status == IngestStatus::ShuttingDown) return Delivery::ShuttingDown;
    if (result.status != IngestStatus::Committed || result.items.size() != candidates) {
        // An unknown outcome is retried like an outage: the store skips what committed.
        log_throttled(LogLevel::Warning, std::string(result.status == IngestStatus::OutcomeUnknown
                                                         ? "store commit outcome unknown ("
                                                         : "store unavailable (") +
                                             result.error +
                                             "); pausing consumption and retrying the batch");
        // A connection lost during COMMIT leaves the outcome unknown: the transaction may
        // have committed after all. Its positions say which, so read them again before the
        // retry, which then skips whatever was applied.
        for (const KafkaRecord& record : pending_) {
            unknown_positions_.insert({record.topic, record.partition});
        }
        retrying_after_store_failure_ = true;
        return Delivery::Retry;
    }
    if (retrying_after_store_failure_ && plan.skipped > 0) {
        log(LogLevel::Warning,
            std::to_string(plan.skipped) +
                " message(s) of a batch the store reported as failed had "
                "been committed after all; they were not applied again" +
                (config_.results_topic.empty() ? std::string()
                                               : " (their results are not published)"));
    }
    retrying_after_store_failure_ = false;

    if (!config_.results_topic.empty()) {
        // In message order, so a key's results come in the order of its messages.
        std::vector<std::optional<OutgoingMessage>> results(pending_.size());
        for (std::size_t i = 0; i < candidates; ++i) {
            const ItemResult& item = result.items[i];
            if (item.skipped_as_replay) continue;
            const std::size_t index = plan.candidate_record[i];
            results[index] =
                OutgoingMessage{config_.results_topic,
                                submitted[i].first,
                                result_record(codec, pending_[index], submitted[i].first,
                                              submitted[i].second, item),
                                {}};
        }
        for (const DeadLetter& letter : plan.dead_letters) {
            const KafkaRecord& record = pending_[letter.record];
            results[letter.record] =
                OutgoingMessage{config_.results_topic,
                                record.key,
                                dead_letter_result_record(codec, record, letter),
                                {}};
        }
        for (const auto& message : results) {
            if (message) producer_->produce_async(*message);
        }
    }
    // Trades the store refused alone were recorded (STORE_REFUSED); the dead-letter topic
    // gets their messages before the offsets move on.
    std::vector<OutgoingMessage> refused_letters;
    for (std::size_t i = 0; i < candidates; ++i) {
        const ItemResult& item = result.items[i];
        if (item.skipped_as_replay || !refused_by_store(item)) continue;
        const std::size_t index = plan.candidate_record[i];
        const KafkaRecord& record = pending_[index];
        const DeadLetter letter{index, std::string(reason::kStoreRefused),
                                item.reasons.front().message};
        refused_letters.push_back({config_.dead_letter_topic, record.key, record.value.value_or(""),
                                   dead_letter_headers(record, letter)});
    }
    dead_letter_after_commit(refused_letters);
    for (const SourcePosition& position : positions) {
        std::int64_t& applied = positions_[{position.stream, position.partition}];
        applied = std::max(applied, position.offset);
    }
    store_offsets(plan.next_offsets);
    // The store skips, in its transaction, what an earlier transaction applied: after a COMMIT
    // whose outcome was unknown, or what a consumer that has since lost the partition applied.
    const auto replays = static_cast<std::size_t>(
        std::count_if(result.items.begin(), result.items.end(),
                      [](const ItemResult& item) { return item.skipped_as_replay; }));
    if (replays > 0) {
        log(LogLevel::Info, std::to_string(replays) +
                                " message(s) had been applied by an earlier transaction; the "
                                "store skipped them");
    }
    metrics_.applied->inc(candidates - replays - refused_letters.size());
    metrics_.dead_lettered->inc(plan.dead_letters.size() + refused_letters.size());
    metrics_.skipped->inc(plan.skipped + replays);
    log(LogLevel::Debug, "batch of " + std::to_string(pending_.size()) + " committed (" +
                             std::to_string(candidates) + " trades, " +
                             std::to_string(plan.dead_letters.size() + refused_letters.size()) +
                             " dead letters, " + std::to_string(plan.skipped) +
                             " replays skipped)");
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(batch_records));
    if (!pending_.empty()) first_pending_at_ = Clock::now();
    dead_lettered_.clear();
    return Delivery::Committed;
}

void KafkaSource::dead_letter_after_commit(const std::vector<OutgoingMessage>& letters) {
    if (letters.empty()) return;
    milliseconds backoff = kFirstBackoff;
    bool paused_here = false;
    for (;;) {
        const std::string failure = producer_->produce_and_wait(letters, kDeadLetterTimeout);
        if (failure.empty()) {
            if (paused_here) pause_assigned(false);
            return;
        }
        if (stop_requested_.load()) {
            log(LogLevel::Error, std::to_string(letters.size()) +
                                     " trade(s) the store refused were not written to " +
                                     config_.dead_letter_topic + " (" + failure +
                                     "); their audit entries record them");
            return;
        }
        log_throttled(LogLevel::Warning, "cannot write refused trades to dead-letter topic " +
                                             config_.dead_letter_topic + ": " + failure +
                                             "; retrying");
        if (!paused_) {
            pause_assigned(true);
            paused_here = true;
        }
        wait_polling(backoff);
        backoff = std::min(backoff * 2, config_.retry_backoff_max);
    }
}

void KafkaSource::deliver_with_retries() {
    milliseconds backoff = kFirstBackoff;
    for (;;) {
        if (stop_requested_.load() && !shutdown_deadline_) {
            shutdown_deadline_ = Clock::now() + config_.shutdown_timeout;
        }
        const Delivery delivery = deliver();
        if (delivery == Delivery::Committed) {
            if (paused_) {
                pause_assigned(false);
                log(LogLevel::Info, "batch committed; consumption resumed");
            }
            return;
        }
        if (delivery == Delivery::ShuttingDown ||
            (shutdown_deadline_ && Clock::now() >= *shutdown_deadline_)) {
            log(LogLevel::Warning,
                "stopping with a batch of " + std::to_string(pending_.size()) +
                    " message(s) not committed; their offsets are not stored, so they are "
                    "delivered again");
            pending_.clear();
            dead_lettered_.clear();
            return;
        }
        metrics_.retries->inc();
        if (!paused_) {
            pause_assigned(true);
            log(LogLevel::Warning, "consumption paused on " + describe(assigned_) +
                                       " until the batch can be committed");
        }
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

void KafkaSource::pause_assigned(bool pause) {
    paused_ = pause;
    metrics_.paused->set(pause ? 1 : 0);
    if (assigned_.empty()) return;
    PartitionListPtr list = partition_list(assigned_);
    const rd_kafka_resp_err_t result = pause ? rd_kafka_pause_partitions(consumer_, list.get())
                                             : rd_kafka_resume_partitions(consumer_, list.get());
    if (result) log(LogLevel::Warning, "pause/resume: " + error_text(result));
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
    // A batch is being retried: the new partitions wait with the others. The assign call
    // above has already added them to the consumer's assignment, so the pause applies.
    if (paused_) {
        if (const rd_kafka_resp_err_t result = rd_kafka_pause_partitions(consumer_, partitions)) {
            log(LogLevel::Warning, "pausing the assigned partitions: " + error_text(result));
        }
    }
    brokers_up_.store(true);
    log(LogLevel::Info, "assigned " + starts);
}

void KafkaSource::on_revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative) {
    // A failed rebalance may come without a list: everything assigned goes.
    const std::set<TopicPartition> revoked =
        partitions != nullptr ? partition_set(partitions) : assigned_;
    const auto is_revoked = [&](const KafkaRecord& record) {
        return revoked.contains({record.topic, record.partition});
    };
    // Finish the batch in hand if the store takes it now; otherwise its messages of revoked
    // partitions are dropped, uncommitted, for the next owner.
    if (!paused_ && std::any_of(pending_.begin(), pending_.end(), is_revoked)) {
        if (deliver() != Delivery::Committed) {
            log(LogLevel::Info,
                "revoked partitions leave their uncommitted messages to the "
                "next owner");
        }
    }
    std::erase_if(pending_, is_revoked);
    std::erase_if(dead_lettered_, [&](const auto& id) { return revoked.contains(id.first); });
    // A lost assignment (session timed out, fenced) cannot commit; the broker would refuse it.
    if (!rd_kafka_assignment_lost(consumer_)) commit_sync();
    unassign(partitions, cooperative);
    for (const TopicPartition& tp : revoked) {
        assigned_.erase(tp);
        positions_.erase(tp);
        unknown_positions_.erase(tp);
    }
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
