// Sending Kafka messages through tradestored again: dead letters after the rule or setting
// that refused them is fixed (`dlq replay`), or a topic's messages since a time (`replay`).
// The copies are new messages at the end of the topic, so the kafka-source decides them like
// any other: the version rules make that safe (a version already stored is replaced by
// itself, a lower one is refused), and the store's positions never move back.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "message_batch.h"

namespace tradestore::ctl {

// The header every copy carries: topic/partition/offset of the message it copies (for a dead
// letter, of the original message the letter's tradestore.dlq.* headers name).
inline constexpr std::string_view kHeaderReplayOf = "tradestore.replay.of";

enum class ReplayMode {
    DeadLetters,  // from a dead-letter topic, back to each letter's original topic
    Topic,        // a topic's own messages, to the end of that topic
};

struct ReplayRequest {
    ReplayMode mode = ReplayMode::DeadLetters;
    std::string brokers;
    std::string kafka_properties;          // as the kafka-source's setting: "name=value, ..."
    std::string from_topic;                // the dead-letter topic, or the topic to read again
    std::string to_topic;                  // empty: the original topic (DeadLetters) or from_topic
    std::optional<std::int64_t> since_ms;  // only messages stamped at or after (epoch ms)
    std::string reason;                    // DeadLetters: only letters with this reason
    bool dry_run = false;
    std::chrono::milliseconds timeout{60'000};
};

struct ReplaySummary {
    std::size_t read = 0;
    std::size_t sent = 0;
    std::size_t skipped_tombstones = 0;   // Topic mode: a tombstone is never sent again
    std::size_t skipped_not_letters = 0;  // DeadLetters: no tradestore.dlq.* origin headers
    std::size_t skipped_reason = 0;       // DeadLetters: another reason than asked for
};

// What `record` becomes, or nothing when it is not sent (counted in `summary`). Pure.
std::optional<kafka::OutgoingMessage> replay_copy(const kafka::KafkaRecord& record,
                                                  const ReplayRequest& request,
                                                  ReplaySummary& summary);

// Reads from_topic from since_ms (or its beginning) up to its end as it is when the call
// starts, and produces the copies (none with dry_run), waiting for every acknowledgement.
// Writes one JSON line per copy acknowledged (or, with dry_run, to be sent) to `listing`:
// {"of","to","partition","key","tombstone"}. Throws std::runtime_error on a failure, saying
// how many copies were sent before it.
ReplaySummary replay(const ReplayRequest& request, std::ostream& listing);

}  // namespace tradestore::ctl
