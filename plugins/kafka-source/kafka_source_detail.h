// What kafka_source.cpp and lane_delivery.cpp share inside the kafka-source: timings and
// small helpers. Not part of any interface.
#pragma once

#include <tradestore/outcome.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "message_batch.h"
#include "rdkafka_handles.h"

namespace tradestore::kafka::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline constexpr milliseconds kFirstBackoff{100};
inline constexpr milliseconds kPollThreadLimit{60'000};    // the poll thread is stuck beyond
inline constexpr milliseconds kDeadLetterTimeout{40'000};  // > producer's message.timeout.ms

inline std::int64_t now_ms() {
    return std::chrono::duration_cast<milliseconds>(Clock::now().time_since_epoch()).count();
}

inline PartitionListPtr partition_list(const std::set<TopicPartition>& partitions) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (const TopicPartition& tp : partitions) {
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    }
    return list;
}

// "trades/0, trades/2", or "none".
inline std::string describe(const std::set<TopicPartition>& partitions) {
    std::string text;
    for (const TopicPartition& tp : partitions) {
        if (!text.empty()) text += ", ";
        text += tp.topic + "/" + std::to_string(tp.partition);
    }
    return text.empty() ? "none" : text;
}

// The kernel refused this trade alone: the store could not hold it.
inline bool refused_by_store(const ItemResult& item) {
    return std::any_of(item.reasons.begin(), item.reasons.end(), [](const Rejection& reason) {
        return reason.code == reason::kStoreRefused;
    });
}

}  // namespace tradestore::kafka::detail
