// The kafka-source's lanes: when a partition's batch is handed to the kernel, what happens
// when the kernel answers, and pausing partitions for retries and the memory bound.
#include <algorithm>
#include <iterator>

#include "kafka_source.h"
#include "kafka_source_detail.h"

namespace tradestore::kafka {

using namespace detail;

bool KafkaSource::lane_due(PartitionLane& lane, Clock::time_point now) {
    if (lane.in_flight || lane.queued() == 0) return false;
    if (store_failing_ || dead_letters_failing_) {
        // Only retries go while a batch fails; a lane that has none yet gets one, so some
        // lane probes the store even when the failed one has been revoked.
        if (!lane.retry_at) lane.retry_at = now + backoff_;
    }
    if (lane.retry_at) return now >= *lane.retry_at;
    return lane.prepared || next_batch_ready(lane, now);
}

bool KafkaSource::next_batch_ready(const PartitionLane& lane, Clock::time_point now) const {
    return lane.waiting.size() >= config_.batch_size ||
           now >= lane.first_waiting_at + config_.batch_wait || stop_requested_.load();
}

void KafkaSource::submit_due_lanes() {
    const auto now = Clock::now();
    std::vector<TopicPartition> due;
    for (auto& [partition, lane] : lanes_) {
        if (lane_due(lane, now)) due.push_back(partition);
    }
    for (const TopicPartition& partition : due) submit_lane(partition);
    // Lanes still committing decode their next batch meanwhile, once it is ready. Not while
    // anything is being retried (the retry goes first) or a position is unknown (it decides what is
    // a replay).
    if (store_failing_ || dead_letters_failing_) return;
    for (auto& [partition, lane] : lanes_) {
        if (!lane.in_flight || lane.prepared || lane.waiting.empty() || lane.retry_at ||
            unknown_positions_.contains(partition)) {
            continue;
        }
        if (next_batch_ready(lane, now)) lane.prepared = take_batch(lane);
    }
}

PreparedBatch KafkaSource::take_batch(PartitionLane& lane) {
    PreparedBatch batch;
    const std::size_t count = std::min(lane.waiting.size(), config_.batch_size);
    const auto taken_end = lane.waiting.begin() + static_cast<std::ptrdiff_t>(count);
    batch.records.assign(std::make_move_iterator(lane.waiting.begin()),
                         std::make_move_iterator(taken_end));
    lane.waiting.erase(lane.waiting.begin(), taken_end);
    for (const KafkaRecord& record : batch.records) batch.bytes += buffered_bytes(record);
    lane.waiting_bytes -= batch.bytes;
    if (!lane.waiting.empty()) lane.first_waiting_at = Clock::now();
    batch.plan = plan_batch(batch.records, positions_, host_->codec(), host_->clock().today(),
                            config_.dead_letter_topic, config_.deletes);
    return batch;
}

void KafkaSource::unprepare(PartitionLane& lane) {
    if (!lane.prepared) return;
    PreparedBatch& batch = *lane.prepared;
    if (lane.waiting.empty()) lane.first_waiting_at = Clock::now();
    lane.waiting.insert(lane.waiting.begin(), std::make_move_iterator(batch.records.begin()),
                        std::make_move_iterator(batch.records.end()));
    lane.waiting_bytes += batch.bytes;
    lane.prepared.reset();
}

void KafkaSource::submit_lane(const TopicPartition& partition) {
    const auto found = lanes_.find(partition);
    if (found == lanes_.end() || found->second.in_flight || found->second.queued() == 0) return;
    PartitionLane& lane = found->second;
    if (!lane.prepared) {
        // Which messages are replays can only be told once the partition's position is known.
        if (unknown_positions_.contains(partition) && !read_positions({partition})) {
            fail_lane(partition, {}, "cannot read the store's position");
            return;
        }
        lane.prepared = take_batch(lane);
    }
    PreparedBatch prepared = std::move(*lane.prepared);
    lane.prepared.reset();

    InFlightBatch batch;
    batch.records = std::move(prepared.records);
    batch.bytes = prepared.bytes;
    PlannedBatch& plan = prepared.plan;

    // Dead letters first: once the store has recorded the position, nothing would send them.
    std::vector<OutgoingMessage> letters;
    std::vector<std::int64_t> letter_offsets;
    for (const DeadLetter& letter : plan.dead_letters) {
        const KafkaRecord& record = batch.records[letter.record];
        if (lane.dead_lettered.contains(record.offset)) continue;  // sent by an earlier attempt
        letters.push_back({config_.dead_letter_topic, record.key, record.value,
                           dead_letter_headers(record, letter)});
        letter_offsets.push_back(record.offset);
    }
    if (!letters.empty()) {
        const std::string failure = producer_->produce_and_wait(letters, kDeadLetterTimeout);
        if (!failure.empty()) {
            buffered_bytes_ -= batch.bytes;  // fail_lane counts them again
            fail_lane(
                partition, std::move(batch.records),
                "cannot write to dead-letter topic " + config_.dead_letter_topic + ": " + failure);
            return;
        }
        // produce_and_wait serves no consumer callback: `lane` is still this partition's.
        lane.dead_lettered.insert(letter_offsets.begin(), letter_offsets.end());
    }

    if (!config_.results_topic.empty()) {
        batch.submitted.reserve(plan.batch.candidates.size());
        for (const Candidate& candidate : plan.batch.candidates)
            batch.submitted.emplace_back(candidate.trade.trade_id, candidate.trade.version);
    }
    batch.candidate_record = std::move(plan.candidate_record);
    batch.dead_letters = std::move(plan.dead_letters);
    batch.next_offsets = std::move(plan.next_offsets);
    batch.positions = plan.batch.positions;
    batch.candidates = plan.batch.candidates.size();
    batch.skipped = plan.skipped;
    batch.id = ++last_batch_id_;
    const std::uint64_t id = batch.id;
    const bool any_work = batch.candidates > 0 || !plan.batch.positions.empty();
    lane.in_flight = std::move(batch);
    lane.retry_at.reset();
    if (!any_work) {  // only replays: nothing for the store to do
        complete_lane({partition, id, IngestResult{}});
        return;
    }
    plan.batch.bulk = true;  // a backlog must not starve interactive requests
    host_->ingest().submit(std::move(plan.batch),
                           [completions = completions_, partition, id](IngestResult result) {
                               completions->push({partition, id, std::move(result)});
                           });
}

void KafkaSource::handle_completions() {
    while (auto completion = completions_->try_pop()) complete_lane(std::move(*completion));
}

void KafkaSource::wait_in_flight(const std::set<TopicPartition>& partitions, milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    const auto any_in_flight = [&] {
        return std::any_of(partitions.begin(), partitions.end(), [&](const TopicPartition& tp) {
            const auto lane = lanes_.find(tp);
            return lane != lanes_.end() && lane->second.in_flight;
        });
    };
    while (any_in_flight()) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            log(LogLevel::Warning, "a batch of " + describe(partitions) +
                                       " did not finish within " + std::to_string(limit.count()) +
                                       " ms; the store's replay check fences it");
            return;
        }
        if (auto completion = completions_->pop_for(std::min(left, milliseconds(100))))
            complete_lane(std::move(*completion));
    }
}

void KafkaSource::complete_lane(BatchCompletion completion) {
    const TopicPartition& partition = completion.partition;
    const auto found = lanes_.find(partition);
    if (found == lanes_.end() || !found->second.in_flight ||
        found->second.in_flight->id != completion.batch_id) {
        return;  // its lane was revoked meanwhile; the store's replay check fenced the batch
    }
    InFlightBatch batch = std::move(*found->second.in_flight);
    found->second.in_flight.reset();
    const IngestResult& result = completion.result;

    if (result.status == IngestStatus::ShuttingDown) {
        buffered_bytes_ -= batch.bytes;  // not committed: delivered again to the next consumer
        log(LogLevel::Warning, "the kernel is shutting down; " +
                                   std::to_string(batch.records.size()) + " message(s) of " +
                                   describe({partition}) + " are left for redelivery");
        return;
    }
    if (result.status != IngestStatus::Committed || result.items.size() != batch.candidates) {
        // An unknown outcome is retried like an outage: the store skips what committed. Its
        // positions say what that was, so they are read again before the retry.
        unknown_positions_.insert(partition);
        found->second.retried_after_failure = true;
        buffered_bytes_ -= batch.bytes;  // fail_lane counts them again
        fail_lane(partition, std::move(batch.records),
                  std::string(result.status == IngestStatus::OutcomeUnknown
                                  ? "store commit outcome unknown ("
                                  : "store unavailable (") +
                      result.error + ")");
        return;
    }
    if (found->second.retried_after_failure && batch.skipped > 0) {
        log(LogLevel::Warning,
            std::to_string(batch.skipped) +
                " message(s) of a batch the store reported as failed had been committed after "
                "all; they were not applied again" +
                (config_.results_topic.empty() ? std::string()
                                               : " (their results are not published)"));
    }
    found->second.retried_after_failure = false;
    if (store_failing_) {
        store_failing_ = false;
        backoff_ = kFirstBackoff;
        for (auto& [tp, lane] : lanes_) lane.retry_at.reset();
        log(LogLevel::Info, "batch committed; consumption resumed");
    }

    if (!config_.results_topic.empty()) {
        // In message order, so a key's results come in the order of its messages.
        std::vector<std::optional<OutgoingMessage>> results(batch.records.size());
        for (std::size_t i = 0; i < batch.candidates; ++i) {
            const ItemResult& item = result.items[i];
            if (item.skipped_as_replay) continue;
            const std::size_t index = batch.candidate_record[i];
            results[index] =
                OutgoingMessage{config_.results_topic,
                                batch.submitted[i].first,
                                result_record(batch.records[index], batch.submitted[i].first,
                                              batch.submitted[i].second, item),
                                {}};
        }
        for (const DeadLetter& letter : batch.dead_letters) {
            const KafkaRecord& record = batch.records[letter.record];
            results[letter.record] = OutgoingMessage{
                config_.results_topic, record.key, dead_letter_result_record(record, letter), {}};
        }
        for (const auto& message : results) {
            if (message) producer_->produce_async(*message);
        }
    }
    // Trades the store refused alone were recorded (STORE_REFUSED); the dead-letter topic
    // gets their messages before the offsets move on.
    std::vector<OutgoingMessage> refused_letters;
    for (std::size_t i = 0; i < batch.candidates; ++i) {
        const ItemResult& item = result.items[i];
        if (item.skipped_as_replay || !refused_by_store(item)) continue;
        const std::size_t index = batch.candidate_record[i];
        const KafkaRecord& record = batch.records[index];
        const DeadLetter letter{index, std::string(reason::kStoreRefused),
                                item.reasons.front().message};
        refused_letters.push_back({config_.dead_letter_topic, record.key, record.value,
                                   dead_letter_headers(record, letter)});
    }
    for (const SourcePosition& position : batch.positions) {
        std::int64_t& applied = positions_[{position.stream, position.partition}];
        applied = std::max(applied, position.offset);
    }
    // It polls while the dead-letter topic fails: a revoke may drop this lane meanwhile, so
    // the lane is looked up again after it.
    dead_letter_after_commit(refused_letters);
    store_offsets(batch.next_offsets);

    const auto replays = static_cast<std::size_t>(
        std::count_if(result.items.begin(), result.items.end(),
                      [](const ItemResult& item) { return item.skipped_as_replay; }));
    if (replays > 0) {
        log(LogLevel::Info, std::to_string(replays) +
                                " message(s) had been applied by an earlier transaction; the "
                                "store skipped them");
    }
    metrics_.applied->inc(batch.candidates - replays - refused_letters.size());
    metrics_.dead_lettered->inc(batch.dead_letters.size() + refused_letters.size());
    metrics_.skipped->inc(batch.skipped + replays);
    if (host_->log_enabled(LogLevel::Debug)) {
        log(LogLevel::Debug,
            "batch of " + std::to_string(batch.records.size()) + " on " + describe({partition}) +
                " committed (" + std::to_string(batch.candidates) + " trades, " +
                std::to_string(batch.dead_letters.size() + refused_letters.size()) +
                " dead letters, " + std::to_string(batch.skipped) + " replays skipped)");
    }
    buffered_bytes_ -= batch.bytes;
    const auto lane = lanes_.find(partition);
    if (lane == lanes_.end()) return;
    if (!batch.records.empty()) {
        const std::int64_t last = batch.records.back().offset;
        std::erase_if(lane->second.dead_lettered,
                      [last](std::int64_t offset) { return offset <= last; });
    }
    lane->second.waiting_since_ms = lane->second.queued() == 0 ? 0 : now_ms();
}

void KafkaSource::fail_lane(const TopicPartition& partition, std::vector<KafkaRecord> records,
                            const std::string& why) {
    const auto found = lanes_.find(partition);
    if (found == lanes_.end()) return;
    PartitionLane& lane = found->second;
    // The failed messages go back in front of those polled since (a prepared batch's first),
    // in offset order; the prepared batch is decoded again with the positions read anew.
    unprepare(lane);
    std::size_t bytes = 0;
    for (const KafkaRecord& record : records) bytes += buffered_bytes(record);
    lane.waiting.insert(lane.waiting.begin(), std::make_move_iterator(records.begin()),
                        std::make_move_iterator(records.end()));
    lane.waiting_bytes += bytes;
    buffered_bytes_ += bytes;
    lane.retry_at = Clock::now() + backoff_;
    backoff_ = std::min(backoff_ * 2, config_.retry_backoff_max);
    metrics_.retries->inc();
    log_throttled(LogLevel::Warning, why + "; pausing consumption and retrying the batch");
    if (!store_failing_) {
        store_failing_ = true;
        update_pauses();
        log(LogLevel::Warning,
            "consumption paused on " + describe(assigned_) + " until the batch can be committed");
    }
}

void KafkaSource::update_pauses() {
    if (!over_budget_ && buffered_bytes_ > config_.max_buffered_bytes) {
        over_budget_ = true;
        log(LogLevel::Info, std::to_string(buffered_bytes_) +
                                " bytes of messages wait or are in flight, past max_buffered_mb; "
                                "consumption paused until an eighth of it is committed");
    } else if (over_budget_ && buffered_bytes_ <= config_.max_buffered_bytes / 8 * 7) {
        // Not lower: librdkafka drops what it prefetched for a paused partition, and once every
        // partition was paused its broker thread fetches again only at its next wake-up, up to
        // 1 s after the resume (2.0.2, seen in its fetch log). The seven eighths left must
        // outlast that, or the lanes run dry and the store's writers idle.
        over_budget_ = false;
        log(LogLevel::Info, "consumption resumed below max_buffered_mb");
    }
    const bool pause_all =
        store_failing_ || dead_letters_failing_ || over_budget_ || stop_requested_.load();
    std::set<TopicPartition> to_pause;
    std::set<TopicPartition> to_resume;
    for (const TopicPartition& tp : assigned_) {
        const bool paused = paused_.contains(tp);
        if (pause_all && !paused) to_pause.insert(tp);
        if (!pause_all && paused) to_resume.insert(tp);
    }
    set_paused(to_pause, true);
    set_paused(to_resume, false);
}

void KafkaSource::set_paused(const std::set<TopicPartition>& partitions, bool pause) {
    if (!partitions.empty()) {
        PartitionListPtr list = partition_list(partitions);
        const rd_kafka_resp_err_t result = pause
                                               ? rd_kafka_pause_partitions(consumer_, list.get())
                                               : rd_kafka_resume_partitions(consumer_, list.get());
        if (result) log(LogLevel::Warning, "pause/resume: " + error_text(result));
        for (const TopicPartition& tp : partitions) {
            if (pause) {
                paused_.insert(tp);
            } else {
                paused_.erase(tp);
            }
        }
    }
    metrics_.paused->set(paused_.empty() ? 0 : 1);
}

void KafkaSource::drop_lane(const TopicPartition& partition) {
    const auto lane = lanes_.find(partition);
    if (lane == lanes_.end()) return;
    buffered_bytes_ -= lane->second.waiting_bytes;
    if (lane->second.in_flight) buffered_bytes_ -= lane->second.in_flight->bytes;
    if (lane->second.prepared) buffered_bytes_ -= lane->second.prepared->bytes;
    lanes_.erase(lane);
}

}  // namespace tradestore::kafka
