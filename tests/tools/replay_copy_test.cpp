// tradestorectl-kafka's choice of what a consumed message becomes when it is sent again
// (replay_copy): no broker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kafka_replay.h"

namespace tradestore::ctl {
namespace {

using kafka::KafkaHeader;
using kafka::KafkaRecord;
using ::testing::ElementsAre;

KafkaRecord letter(std::optional<std::string> value, const std::string& reason = "MALFORMED_JSON") {
    KafkaRecord record;
    record.topic = "trades.dlq";
    record.partition = 0;
    record.offset = 17;
    record.key = "T1";
    record.value = std::move(value);
    record.headers = {{"seq", "9"},
                      {"tradestore.dlq.reason", reason},
                      {"tradestore.dlq.error", "no value"},
                      {"tradestore.dlq.topic", "trades"},
                      {"tradestore.dlq.partition", "2"},
                      {"tradestore.dlq.offset", "41"},
                      {"tradestore.replay.of", "trades/2/3"}};
    return record;
}

TEST(ReplayCopyTest, ADeadLetterGoesBackToItsPartitionWithItsOwnHeadersAndOrigin) {
    ReplayRequest request;
    ReplaySummary summary;
    const auto copy = replay_copy(letter(std::nullopt), request, summary);
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->topic, "trades");
    EXPECT_EQ(copy->partition, 2);
    EXPECT_EQ(copy->key, "T1");
    EXPECT_FALSE(copy->value.has_value());  // a tombstone stays one
    EXPECT_THAT(copy->headers, ElementsAre(KafkaHeader{"seq", "9"},
                                           KafkaHeader{"tradestore.replay.of", "trades/2/41"}));
}

TEST(ReplayCopyTest, AnotherTopicLeavesThePartitionToTheKey) {
    ReplayRequest request;
    request.to_topic = "trades-fixed";
    ReplaySummary summary;
    const auto copy = replay_copy(letter("{}"), request, summary);
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->topic, "trades-fixed");
    EXPECT_FALSE(copy->partition.has_value());
    EXPECT_EQ(copy->value, "{}");
}

TEST(ReplayCopyTest, OtherReasonsAndMessagesWithoutAnOriginAreCountedNotSent) {
    ReplayRequest request;
    request.reason = "STORE_REFUSED";
    ReplaySummary summary;
    EXPECT_FALSE(replay_copy(letter("{}"), request, summary).has_value());
    KafkaRecord stray = letter("{}");
    stray.headers.resize(1);
    EXPECT_FALSE(replay_copy(stray, request, summary).has_value());
    KafkaRecord garbled = letter("{}", "STORE_REFUSED");
    garbled.headers[4].value = "2x";  // tradestore.dlq.partition
    EXPECT_FALSE(replay_copy(garbled, request, summary).has_value());
    EXPECT_EQ(summary.skipped_reason, 1u);
    EXPECT_EQ(summary.skipped_not_letters, 2u);
}

TEST(ReplayCopyTest, ATopicReplayKeepsThePartitionAndNeverResendsATombstone) {
    ReplayRequest request;
    request.mode = ReplayMode::Topic;
    KafkaRecord record;
    record.topic = "trades";
    record.partition = 1;
    record.offset = 5;
    record.key = "T2";
    record.value = "{\"trade_id\":\"T2\"}";
    ReplaySummary summary;
    const auto copy = replay_copy(record, request, summary);
    ASSERT_TRUE(copy.has_value());
    EXPECT_EQ(copy->topic, "trades");
    EXPECT_EQ(copy->partition, 1);
    EXPECT_THAT(copy->headers, ElementsAre(KafkaHeader{"tradestore.replay.of", "trades/1/5"}));
    record.value.reset();
    EXPECT_FALSE(replay_copy(record, request, summary).has_value());
    EXPECT_EQ(summary.skipped_tombstones, 1u);
}

}  // namespace
}  // namespace tradestore::ctl
