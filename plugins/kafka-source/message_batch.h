// Turning polled Kafka messages into one ingest batch: pure logic, no librdkafka.
//
// Every message ends in exactly one place:
//  - at or below the position the store recorded for its partition: skipped (already applied
//    by an earlier run; redelivered after a crash or a rebalance);
//  - not JSON, or not a valid trade: a dead letter (to the dead-letter topic) and an audit-only
//    entry in the batch, so the store records it once, together with the partition position;
//  - otherwise: a candidate for the store, whose decision the store audits.
// The batch carries the last offset of every partition it holds, recorded by the store in the
// same transaction, which is what makes a replay after a crash skip exactly what was applied.
#pragma once

#include <tradestore/codec.h>
#include <tradestore/host.h>
#include <tradestore/store.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore::kafka {

inline constexpr std::string_view kSourceName = "kafka";
inline constexpr std::string_view kMalformedJson = "MALFORMED_JSON";
inline constexpr std::string_view kInvalidTrade = "INVALID_TRADE";

// Headers added to a dead letter, next to the original message's own.
inline constexpr std::string_view kHeaderReason = "tradestore.dlq.reason";
inline constexpr std::string_view kHeaderError = "tradestore.dlq.error";
inline constexpr std::string_view kHeaderTopic = "tradestore.dlq.topic";
inline constexpr std::string_view kHeaderPartition = "tradestore.dlq.partition";
inline constexpr std::string_view kHeaderOffset = "tradestore.dlq.offset";

struct TopicPartition {
    std::string topic;
    std::int32_t partition = 0;

    auto operator<=>(const TopicPartition&) const = default;
    bool operator==(const TopicPartition&) const = default;
};

struct KafkaHeader {
    std::string name;
    std::optional<std::string> value;  // a header may have a null value

    bool operator==(const KafkaHeader&) const = default;
};

// A message to produce: topic, key (none for a keyless one), value (none for a tombstone: a
// dead-lettered tombstone stays one, so that it can be replayed as a delete) and headers.
struct OutgoingMessage {
    std::string topic;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<KafkaHeader> headers;
    std::optional<std::int32_t> partition = std::nullopt;  // none: the partitioner picks
};

// A consumed message, copied out of librdkafka.
struct KafkaRecord {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<KafkaHeader> headers;
};

struct DeadLetter {
    std::size_t record = 0;  // index into the records
    std::string reason;      // kMalformedJson or kInvalidTrade
    std::string error;       // what is wrong, one line
};

struct PlannedBatch {
    Batch batch;                                // candidates, positions, audit_only
    std::vector<std::size_t> candidate_record;  // per candidate: index into the records
    std::vector<DeadLetter> dead_letters;
    // Per partition: the offset to store once the batch is committed (last offset + 1),
    // skipped messages included.
    std::map<TopicPartition, std::int64_t> next_offsets;
    std::size_t skipped = 0;
};

// Positions the store recorded: the last applied offset per partition; a partition absent
// from the map has none.
using AppliedPositions = std::map<TopicPartition, std::int64_t>;

// "trades/2/1234", the audit reference of a message.
std::string reference_of(const KafkaRecord& record);

// `deletes`: a message with a key and no value is a delete of the key's trade (a candidate
// with Candidate::deletes; a key that is no valid trade id is a dead letter); else it is a
// dead letter like any message that is not a trade.
PlannedBatch plan_batch(const std::vector<KafkaRecord>& records, const AppliedPositions& applied,
                        const TradeCodec& codec, Date today, std::string_view dead_letter_topic,
                        bool deletes = false);

// The headers of a dead letter: the original ones, then the reason, error and origin.
std::vector<KafkaHeader> dead_letter_headers(const KafkaRecord& record, const DeadLetter& letter);

// A results-topic record: {"trade_id","version","outcome","reasons","topic","partition",
// "offset"}; outcome is created, updated, replaced or rejected, or "invalid" for a dead letter
// (then trade_id is the message key, or null, and version is null).
std::string result_record(const KafkaRecord& record, std::string_view trade_id,
                          std::int64_t version, const ItemResult& result);
std::string dead_letter_result_record(const KafkaRecord& record, const DeadLetter& letter);

}  // namespace tradestore::kafka
