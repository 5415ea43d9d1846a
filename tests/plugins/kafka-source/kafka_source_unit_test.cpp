// The kafka-source logic without a broker: settings and librdkafka properties, turning polled
// messages into one batch (candidates, dead letters, audit-only entries, positions, replays),
// dead-letter headers and results-topic records.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "changes/change_messages.h"
#include "kafka_config.h"
#include "message_batch.h"
#include "trade_codec.h"

namespace tradestore::kafka {
namespace {

using namespace std::chrono;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr Date kToday = sys_days{year{2026} / 11 / 24};

Settings settings(std::map<std::string, std::string, std::less<>> values) {
    return Settings(std::move(values));
}

std::string trade_json(const std::string& id, int version, const std::string& extra = "") {
    return R"({"trade_id":")" + id + R"(","version":)" + std::to_string(version) +
           R"(,"counter_party_id":"CP-1","book_id":"B1","maturity_date":"2027-01-31")" + extra +
           "}";
}

KafkaRecord record(std::int32_t partition, std::int64_t offset, std::optional<std::string> value,
                   std::optional<std::string> key = std::nullopt) {
    KafkaRecord r;
    r.topic = "trades";
    r.partition = partition;
    r.offset = offset;
    r.key = std::move(key);
    r.value = std::move(value);
    return r;
}

// --- settings --------------------------------------------------------------------------------

TEST(KafkaConfigTest, DefaultsFollowTheOriginalDesign) {
    const KafkaConfig config = config_from_settings(settings({}));
    EXPECT_EQ(config.topics, std::vector<std::string>{"trades"});
    EXPECT_EQ(config.group_id, "trade-consumer-group");
    EXPECT_EQ(config.dead_letter_topic, "trades.dlq");
    EXPECT_TRUE(config.results_topic.empty());
    EXPECT_FALSE(config.deletes);
    EXPECT_TRUE(config_from_settings(settings({{"deletes", "true"}})).deletes);
    const PropertyList consumer = consumer_properties(config);
    EXPECT_THAT(consumer, ::testing::Contains(Pair("auto.offset.reset", "earliest")));
    EXPECT_THAT(consumer, ::testing::Contains(Pair("enable.auto.offset.store", "false")));
    EXPECT_THAT(consumer, ::testing::Contains(Pair("group.id", "trade-consumer-group")));
}

// Only credentials are masked: a user name or `SASL_SSL` in a log line stays readable.
TEST(KafkaConfigTest, OnlyCredentialPropertiesAreSecret) {
    std::map<std::string, SettingType> types;
    for (const SettingSpec& spec : setting_specs()) types[spec.key] = spec.type;
    EXPECT_EQ(types.at("kafka.*"), SettingType::String);
    for (const char* key :
         {"kafka.sasl.password", "kafka.consumer.sasl.password", "kafka.producer.sasl.password",
          "kafka.ssl.key.password", "kafka.ssl.keystore.password", "kafka.ssl.key.pem",
          "kafka.sasl.oauthbearer.client.secret"}) {
        ASSERT_TRUE(types.contains(key)) << key;
        EXPECT_EQ(types.at(key), SettingType::Secret) << key;
    }
    EXPECT_FALSE(types.contains("kafka.sasl.username"));
}

TEST(KafkaConfigTest, EverySettingIsDeclaredAndRead) {
    std::vector<std::string> keys;
    for (const SettingSpec& spec : setting_specs()) {
        // The credential properties come after the plugin's own settings (next test).
        if (spec.type == SettingType::Secret && spec.key != "kafka_properties") break;
        keys.push_back(spec.key);
    }
    EXPECT_THAT(keys,
                ElementsAre("brokers", "topics", "group_id", "batch_size", "batch_wait",
                            "max_buffered_mb", "dead_letter_topic", "results_topic", "deletes",
                            "changes_topic", "changes_interval", "retry_backoff_max",
                            "shutdown_timeout", "stall_timeout", "kafka.*", "kafka_properties"));
    const KafkaConfig config = config_from_settings(settings({
        {"brokers", "b1:9092,b2:9092"},
        {"topics", "a, b"},
        {"group_id", "g"},
        {"batch_size", "7"},
        {"batch_wait", "250ms"},
        {"max_buffered_mb", "3"},
        {"dead_letter_topic", "dlq"},
        {"results_topic", "results"},
        {"changes_topic", "changes"},
        {"changes_interval", "1s"},
        {"retry_backoff_max", "2s"},
        {"shutdown_timeout", "3s"},
        {"stall_timeout", "90s"},
        {"kafka_properties", "session.timeout.ms=6000"},
    }));
    EXPECT_EQ(config.brokers, "b1:9092,b2:9092");
    EXPECT_EQ(config.topics, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(config.batch_size, 7u);
    EXPECT_EQ(config.batch_wait, milliseconds(250));
    EXPECT_EQ(config.max_buffered_bytes, std::size_t{3} << 20);
    EXPECT_EQ(config.results_topic, "results");
    EXPECT_EQ(config.changes_topic, "changes");
    EXPECT_EQ(config.changes_interval, milliseconds(1000));
    EXPECT_EQ(config.retry_backoff_max, milliseconds(2000));
    EXPECT_EQ(config.shutdown_timeout, milliseconds(3000));
    EXPECT_EQ(config.stall_timeout, milliseconds(90'000));
    ASSERT_EQ(config.properties.size(), 1u);
    EXPECT_EQ(config.properties[0].name, "session.timeout.ms");
}

TEST(KafkaConfigTest, StallTimeoutMustExceedBatchWait) {
    EXPECT_THROW(config_from_settings(settings({{"batch_wait", "2s"}, {"stall_timeout", "2s"}})),
                 std::invalid_argument);
    EXPECT_EQ(config_from_settings(settings({{"batch_wait", "2s"}, {"stall_timeout", "3s"}}))
                  .stall_timeout,
              milliseconds(3000));
    EXPECT_EQ(config_from_settings(settings({})).stall_timeout, milliseconds(60'000));
}

TEST(KafkaConfigTest, KafkaDotKeysPassThroughToLibrdkafka) {
    const KafkaConfig config = config_from_settings(settings({
        {"kafka.security.protocol", "SASL_SSL"},
        {"kafka.sasl.password", "a,b=c"},
        {"kafka.consumer.session.timeout.ms", "6000"},
    }));
    const PropertyList consumer = consumer_properties(config);
    const PropertyList producer = producer_properties(config);
    EXPECT_THAT(consumer, ::testing::Contains(Pair("security.protocol", "SASL_SSL")));
    EXPECT_THAT(producer, ::testing::Contains(Pair("security.protocol", "SASL_SSL")));
    EXPECT_THAT(consumer, ::testing::Contains(Pair("sasl.password", "a,b=c")));
    EXPECT_THAT(consumer, ::testing::Contains(Pair("session.timeout.ms", "6000")));
    EXPECT_THAT(producer, ::testing::Not(::testing::Contains(Pair("session.timeout.ms", "6000"))));
    // The source's own guarantees cannot be overridden this way either.
    EXPECT_THROW(config_from_settings(settings({{"kafka.enable.auto.offset.store", "true"}})),
                 std::invalid_argument);
}

TEST(KafkaConfigTest, PropertiesKeepCommasInValuesAndScopeByPrefix) {
    const auto properties = parse_properties(
        "security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, debug=broker,topic, "
        "consumer.session.timeout.ms=6000, producer.linger.ms=20, sasl.password=a=b");
    ASSERT_EQ(properties.size(), 6u);
    EXPECT_EQ(properties[2].name, "debug");
    EXPECT_EQ(properties[2].value, "broker,topic");
    EXPECT_EQ(properties[3].scope, KafkaProperty::Scope::Consumer);
    EXPECT_EQ(properties[3].name, "session.timeout.ms");
    EXPECT_EQ(properties[4].scope, KafkaProperty::Scope::Producer);
    EXPECT_EQ(properties[5].value, "a=b");

    KafkaConfig config;
    config.properties = properties;
    const PropertyList consumer = consumer_properties(config);
    const PropertyList producer = producer_properties(config);
    EXPECT_THAT(consumer, ::testing::Contains(Pair("session.timeout.ms", "6000")));
    EXPECT_THAT(producer, ::testing::Not(::testing::Contains(Pair("session.timeout.ms", "6000"))));
    EXPECT_THAT(producer, ::testing::Contains(Pair("linger.ms", "20")));
    EXPECT_THAT(consumer, ::testing::Not(::testing::Contains(Pair("linger.ms", "20"))));
}

TEST(KafkaConfigTest, OperatorPropertiesOverrideDefaultsButNotTheGuarantees) {
    KafkaConfig config;
    config.properties = parse_properties("auto.offset.reset=latest");
    const PropertyList consumer = consumer_properties(config);
    // Later entries win when librdkafka applies them in order.
    std::string reset;
    for (const auto& [name, value] : consumer) {
        if (name == "auto.offset.reset") reset = value;
    }
    EXPECT_EQ(reset, "latest");

    for (const char* owned : {"enable.auto.offset.store=true", "group.id=x",
                              "bootstrap.servers=x:1", "consumer.enable.partition.eof=true"}) {
        try {
            parse_properties(owned);
            ADD_FAILURE() << owned << " was accepted";
        } catch (const std::invalid_argument& error) {
            EXPECT_THAT(error.what(), HasSubstr("cannot be set here")) << owned;
        }
    }
}

TEST(KafkaConfigTest, BadValuesAreOneLineErrors) {
    EXPECT_THROW(parse_properties("no-equals-sign"), std::invalid_argument);
    EXPECT_THROW(parse_properties("=value"), std::invalid_argument);
    EXPECT_THROW(config_from_settings(settings({{"topics", " , "}})), std::invalid_argument);
    EXPECT_THROW(config_from_settings(settings({{"dead_letter_topic", ""}})),
                 std::invalid_argument);
    EXPECT_THROW(config_from_settings(settings({{"topics", "trades.dlq"}})), std::invalid_argument);
    // No topics: only with a change feed to publish.
    EXPECT_THROW(config_from_settings(settings({{"topics", ""}})), std::invalid_argument);
    EXPECT_TRUE(config_from_settings(settings({{"topics", ""}, {"changes_topic", "changes"}}))
                    .topics.empty());
    // The feed must not feed the consumer, nor share a topic with dead letters or results.
    EXPECT_THROW(config_from_settings(settings({{"changes_topic", "trades"}})),
                 std::invalid_argument);
    EXPECT_THROW(config_from_settings(settings({{"changes_topic", "trades.dlq"}})),
                 std::invalid_argument);
    EXPECT_THROW(config_from_settings(settings({{"results_topic", "r"}, {"changes_topic", "r"}})),
                 std::invalid_argument);
}

// --- the change feed's messages ----------------------------------------------------------------

TEST(ChangeMessagesTest, OneMessagePerHistoryRowKeyedByTradeIdWithTheRowsId) {
    kernel::JsonTradeCodec codec;
    HistoryRecord record;
    record.trade.trade_id = "T\"1";
    record.trade.version = 3;
    record.trade.counter_party_id = "CP-1";
    record.trade.book_id = "B1";
    record.trade.maturity_date = kToday + days{1};
    record.trade.created_date = kToday;
    record.trade.last_updated = sys_days{kToday} + hours{9};
    record.action = AuditAction::Update;
    record.previous_version = 2;
    record.source = "kafka";
    record.reference = "trades/0/7";
    record.recorded_at = record.trade.last_updated;
    record.business_date = kToday;
    HistoryRecord deleted = record;
    deleted.trade.trade_id = "T2";
    deleted.action = AuditAction::Delete;
    deleted.previous_version.reset();

    const auto messages = change_messages({{41, record}, {42, deleted}}, "changes", codec);
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[0].topic, "changes");
    EXPECT_EQ(messages[0].key, "T\"1");
    EXPECT_EQ(messages[0].value,
              R"({"history_id":41,"version":3,"action":"UPDATE","previous_version":2,)"
              R"("recorded_at":"2026-11-24T09:00:00.000000Z","business_date":"2026-11-24",)"
              R"("source":"kafka","reference":"trades/0/7","trade":{"trade_id":"T\"1",)"
              R"("version":3,"counter_party_id":"CP-1","book_id":"B1",)"
              R"("maturity_date":"2026-11-25","created_date":"2026-11-24","expired":false,)"
              R"("last_updated":"2026-11-24T09:00:00.000000Z"}})");
    EXPECT_EQ(messages[1].key, "T2");
    EXPECT_THAT(messages[1].value.value_or(""),
                HasSubstr(R"({"history_id":42,"version":3,"action":"DELETE",)"
                          R"("previous_version":null,)"));
    EXPECT_TRUE(messages[1].headers.empty());
}

// --- batches -----------------------------------------------------------------------------------

class PlanBatchTest : public ::testing::Test {
  protected:
    kernel::JsonTradeCodec codec;
};

TEST_F(PlanBatchTest, ValidMessagesBecomeCandidatesWithTheirOffsetAsReference) {
    const std::vector<KafkaRecord> records = {
        record(0, 10, trade_json("T1", 1), "T1"),
        record(1, 4, trade_json("T2", 3), "T2"),
        record(0, 11, trade_json("T1", 2), "T1"),
    };
    const PlannedBatch plan = plan_batch(records, {}, codec, kToday, "trades.dlq");
    ASSERT_EQ(plan.batch.candidates.size(), 3u);
    EXPECT_EQ(plan.batch.candidates[0].trade.trade_id, "T1");
    EXPECT_EQ(plan.batch.candidates[0].source, "kafka");
    EXPECT_EQ(plan.batch.candidates[0].reference, "trades/0/10");
    EXPECT_EQ(plan.batch.candidates[2].reference, "trades/0/11");
    EXPECT_EQ(plan.batch.candidates[0].trade.created_date, kToday);  // defaulted
    EXPECT_THAT(plan.candidate_record, ElementsAre(0u, 1u, 2u));
    EXPECT_TRUE(plan.batch.audit_only.empty());
    EXPECT_THAT(plan.batch.positions, ElementsAre(SourcePosition{"kafka", "trades", 0, 11},
                                                  SourcePosition{"kafka", "trades", 1, 4}));
    EXPECT_THAT(plan.next_offsets, ElementsAre(Pair(TopicPartition{"trades", 0}, 12),
                                               Pair(TopicPartition{"trades", 1}, 5)));
}

// With deletes = true a tombstone (a key, no value) is a delete candidate of the key's trade,
// in message order with the versions around it; a key that is no valid trade id, or a
// message with neither key nor value, is a dead letter. Without it, every tombstone is one.
TEST_F(PlanBatchTest, TombstonesAreDeletesOnlyWhenDeletesIsOn) {
    const std::vector<KafkaRecord> records = {
        record(0, 1, trade_json("T1", 1), "T1"),
        record(0, 2, std::nullopt, "T1"),
        record(0, 3, std::nullopt, std::string(51, 'K')),
        record(0, 4, std::nullopt, std::string("bad\x01key")),
        record(0, 5, std::nullopt),
    };
    const PlannedBatch on = plan_batch(records, {}, codec, kToday, "trades.dlq", true);
    ASSERT_EQ(on.batch.candidates.size(), 2u);
    EXPECT_FALSE(on.batch.candidates[0].deletes);
    EXPECT_TRUE(on.batch.candidates[1].deletes);
    EXPECT_EQ(on.batch.candidates[1].trade.trade_id, "T1");
    EXPECT_EQ(on.batch.candidates[1].reference, "trades/0/2");
    EXPECT_EQ(on.batch.candidates[1].origin, (Origin{"trades", 0, 2}));
    EXPECT_THAT(on.candidate_record, ElementsAre(0u, 1u));
    ASSERT_EQ(on.dead_letters.size(), 3u);
    EXPECT_EQ(on.dead_letters[0].reason, "INVALID_TRADE");
    EXPECT_THAT(on.dead_letters[0].error,
                HasSubstr("key: trade_id: String should have at most 50"));
    EXPECT_THAT(on.dead_letters[1].error, HasSubstr("control characters"));
    EXPECT_EQ(on.dead_letters[2].reason, "MALFORMED_JSON");  // no key: nothing to delete
    EXPECT_EQ(on.batch.audit_only.size(), 3u);
    EXPECT_THAT(on.batch.positions, ElementsAre(SourcePosition{"kafka", "trades", 0, 5}));

    const PlannedBatch off = plan_batch(records, {}, codec, kToday, "trades.dlq");
    EXPECT_EQ(off.batch.candidates.size(), 1u);
    EXPECT_EQ(off.dead_letters.size(), 4u);
}

TEST_F(PlanBatchTest, BadMessagesBecomeDeadLettersWithAnAuditEntryInTheSameBatch) {
    const std::vector<KafkaRecord> records = {
        record(0, 1, "{not json", "T9"),
        record(0, 2, R"({"trade_id":"T9","version":"x"})", "T9"),
        record(0, 3, std::nullopt),
        record(0, 4, trade_json("T1", 1), "T1"),
    };
    const PlannedBatch plan = plan_batch(records, {}, codec, kToday, "trades.dlq");
    ASSERT_EQ(plan.dead_letters.size(), 3u);
    EXPECT_EQ(plan.dead_letters[0].reason, "MALFORMED_JSON");
    EXPECT_THAT(plan.dead_letters[0].error, HasSubstr("Malformed JSON at offset"));
    EXPECT_EQ(plan.dead_letters[1].reason, "INVALID_TRADE");
    EXPECT_THAT(plan.dead_letters[1].error, HasSubstr("version: "));
    EXPECT_THAT(plan.dead_letters[1].error, HasSubstr("counter_party_id: "));
    EXPECT_EQ(plan.dead_letters[2].reason, "MALFORMED_JSON");
    EXPECT_THAT(plan.dead_letters[2].error, HasSubstr("Message has no value (a tombstone"));

    ASSERT_EQ(plan.batch.audit_only.size(), 3u);
    const AuditEntry& entry = plan.batch.audit_only[1];
    EXPECT_EQ(entry.trade_id, "T9");  // the message key
    EXPECT_EQ(entry.action, AuditAction::ValidationFailed);
    EXPECT_FALSE(entry.success);
    EXPECT_THAT(entry.reason_codes, ElementsAre("INVALID_TRADE"));
    EXPECT_EQ(entry.source, "kafka");
    EXPECT_EQ(entry.reference, "trades/0/2");
    EXPECT_THAT(entry.message, HasSubstr("dead-lettered to trades.dlq"));
    EXPECT_EQ(plan.batch.audit_only[2].trade_id, "");  // no key

    ASSERT_EQ(plan.batch.candidates.size(), 1u);
    EXPECT_THAT(plan.candidate_record, ElementsAre(3u));
    // The position covers the dead letters too: they are recorded exactly once.
    EXPECT_THAT(plan.batch.positions, ElementsAre(SourcePosition{"kafka", "trades", 0, 4}));
}

TEST_F(PlanBatchTest, MessagesAtOrBelowTheRecordedPositionAreSkipped) {
    const std::vector<KafkaRecord> records = {
        record(0, 5, trade_json("T1", 1)),
        record(0, 6, "{bad"),
        record(0, 7, trade_json("T1", 2)),
        record(1, 3, trade_json("T2", 1)),
    };
    const PlannedBatch plan =
        plan_batch(records, {{TopicPartition{"trades", 0}, 6}}, codec, kToday, "trades.dlq");
    EXPECT_EQ(plan.skipped, 2u);
    EXPECT_TRUE(plan.dead_letters.empty());  // offset 6 was dead-lettered by an earlier run
    ASSERT_EQ(plan.batch.candidates.size(), 2u);
    EXPECT_EQ(plan.batch.candidates[0].reference, "trades/0/7");
    EXPECT_THAT(plan.batch.positions, ElementsAre(SourcePosition{"kafka", "trades", 0, 7},
                                                  SourcePosition{"kafka", "trades", 1, 3}));
    // Skipped messages still move the offset to store.
    EXPECT_THAT(plan.next_offsets, ElementsAre(Pair(TopicPartition{"trades", 0}, 8),
                                               Pair(TopicPartition{"trades", 1}, 4)));
}

TEST_F(PlanBatchTest, AnAllReplayedBatchHasNothingForTheStore) {
    const std::vector<KafkaRecord> records = {record(2, 1, trade_json("T1", 1)),
                                              record(2, 2, trade_json("T1", 2))};
    const PlannedBatch plan =
        plan_batch(records, {{TopicPartition{"trades", 2}, 2}}, codec, kToday, "trades.dlq");
    EXPECT_TRUE(plan.batch.candidates.empty());
    EXPECT_TRUE(plan.batch.positions.empty());
    EXPECT_THAT(plan.next_offsets, ElementsAre(Pair(TopicPartition{"trades", 2}, 3)));
}

TEST_F(PlanBatchTest, DeadLetterHeadersKeepTheOriginalsAndNameTheOrigin) {
    KafkaRecord r = record(2, 42, "nope", "T1");
    r.headers = {{"trace-id", "abc"}, {"empty", std::nullopt}};
    const PlannedBatch plan = plan_batch({r}, {}, codec, kToday, "trades.dlq");
    ASSERT_EQ(plan.dead_letters.size(), 1u);
    EXPECT_THAT(dead_letter_headers(r, plan.dead_letters[0]),
                ElementsAre(KafkaHeader{"trace-id", "abc"}, KafkaHeader{"empty", std::nullopt},
                            KafkaHeader{"tradestore.dlq.reason", "MALFORMED_JSON"},
                            KafkaHeader{"tradestore.dlq.error", plan.dead_letters[0].error},
                            KafkaHeader{"tradestore.dlq.topic", "trades"},
                            KafkaHeader{"tradestore.dlq.partition", "2"},
                            KafkaHeader{"tradestore.dlq.offset", "42"}));
}

TEST_F(PlanBatchTest, ResultRecordsNameTheDecisionAndTheSourceOffset) {
    const KafkaRecord r = record(1, 9, trade_json("T\"1", 2), "T\"1");
    ItemResult rejected;
    rejected.outcome = Outcome::Rejected;
    rejected.reasons = {{"LOWER_VERSION", "..."}, {"MATURITY_IN_PAST", "..."}};
    EXPECT_EQ(result_record(r, "T\"1", 2, rejected),
              R"({"trade_id":"T\"1","version":2,"outcome":"rejected",)"
              R"("reasons":["LOWER_VERSION","MATURITY_IN_PAST"],"topic":"trades","partition":1,)"
              R"("offset":9})");
    ItemResult created;
    created.outcome = Outcome::Created;
    EXPECT_EQ(result_record(r, "T1", 1, created),
              R"({"trade_id":"T1","version":1,"outcome":"created","reasons":[],)"
              R"("topic":"trades","partition":1,"offset":9})");
    const DeadLetter letter{0, "MALFORMED_JSON", "..."};
    EXPECT_EQ(dead_letter_result_record(record(0, 3, "x"), letter),
              R"({"trade_id":null,"version":null,"outcome":"invalid",)"
              R"("reasons":["MALFORMED_JSON"],"topic":"trades","partition":0,"offset":3})");
}

}  // namespace
}  // namespace tradestore::kafka
