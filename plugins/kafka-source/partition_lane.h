// What the kafka-source holds per assigned partition: the messages polled and not yet handed
// to the store, and the one batch of that partition the store is applying.
//
// One batch per partition is in flight at a time, so a partition's batches commit (and its
// offsets are stored) in offset order, while batches of different partitions commit in
// parallel on the kernel's writers. The next batch fills while the previous one commits, and
// once full it is decoded ahead (`prepared`), so that the partition's next transaction starts
// as soon as the previous one commits instead of after a batch's worth of JSON parsing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "message_batch.h"

namespace tradestore::kafka {

// A batch handed to the kernel, kept until its commit is known.
struct InFlightBatch {
    std::uint64_t id = 0;
    std::vector<KafkaRecord> records;
    std::size_t bytes = 0;                      // buffered_bytes() of the records
    std::vector<std::size_t> candidate_record;  // per candidate: index into records
    std::vector<DeadLetter> dead_letters;
    std::vector<std::pair<std::string, std::int64_t>> submitted;  // (trade id, version)
    std::map<TopicPartition, std::int64_t> next_offsets;
    std::vector<SourcePosition> positions;
    std::size_t candidates = 0;
    std::size_t skipped = 0;
};

// The next batch of a lane, taken from its waiting messages and decoded while the lane's
// batch in flight commits.
struct PreparedBatch {
    std::vector<KafkaRecord> records;
    std::size_t bytes = 0;  // buffered_bytes() of the records
    PlannedBatch plan;
};

struct PartitionLane {
    // Polled, in offset order, not yet submitted or prepared. A deque: batches are taken from
    // the front of tens of thousands of records, and it frees what was taken (a vector moved
    // every later record and kept its largest capacity: 30 MB at the bound, heaptrack).
    std::deque<KafkaRecord> waiting;
    std::size_t waiting_bytes = 0;
    std::chrono::steady_clock::time_point first_waiting_at{};  // batch_wait counts from here
    std::optional<InFlightBatch> in_flight;
    std::optional<PreparedBatch> prepared;  // follows in_flight; its records precede `waiting`
    // Set while the lane's batch is to be retried (the store or the dead-letter topic failed).
    std::optional<std::chrono::steady_clock::time_point> retry_at;
    bool retried_after_failure = false;
    std::set<std::int64_t> dead_lettered;  // offsets already in the dead-letter topic
    // Since when the lane has had messages waiting with nothing of it committed (ms on the
    // steady clock); 0 while none wait.
    std::int64_t waiting_since_ms = 0;

    // Messages held that are not in flight: prepared or waiting.
    std::size_t queued() const {
        return (prepared ? prepared->records.size() : 0) + waiting.size();
    }
};

// What a polled message costs in memory, roughly: its bytes and the record around them.
std::size_t buffered_bytes(const KafkaRecord& record);

}  // namespace tradestore::kafka
