// The kafka-source in-process against librdkafka's mock cluster (rdkafka_mock.h), with a fake
// host whose ingest sink and store positions inject the faults a real broker and store cannot
// produce on cue: a store that fails N batches, a dead-letter topic that refuses N writes, a
// store that cannot tell positions when partitions are assigned, a stop with a batch in hand.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "eventually.h"
#include "fake_host.h"
#include "kafka_source.h"
#include "null_store.h"

namespace tradestore::kafka {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;

using test_support::kToday;
constexpr std::int16_t kProduceApiKey = 0;

bool wait_until(const std::function<bool()>& condition, milliseconds timeout = seconds(30)) {
    return test_support::eventually(condition, timeout);
}

// --- a store and a sink for the shared fake host -------------------------------------------------

class FakeStore final : public tradestore::test_support::NullStore {
  public:
    std::mutex mutex;
    std::map<std::pair<std::string, std::int32_t>, std::int64_t> positions;
    int position_failures = 0;  // position() throws this many times

    std::optional<std::int64_t> position(const std::string& source, const std::string& stream,
                                         std::int32_t partition) override {
        std::lock_guard lock(mutex);
        EXPECT_EQ(source, "kafka");
        if (position_failures > 0) {
            --position_failures;
            throw StoreUnavailable("injected: the store is down");
        }
        auto it = positions.find({stream, partition});
        if (it == positions.end()) return std::nullopt;
        return it->second;
    }

    std::vector<ItemResult> apply(const Batch&, std::span<const Rule* const>, Date) override {
        throw std::logic_error("not used");
    }
};

// Commits every batch (one Created per candidate) and records it, unless told to fail.
class FakeSink final : public IngestSink {
  public:
    explicit FakeSink(FakeStore& store) : store_(store) {}
    std::optional<std::int64_t> position(const std::string& source, const std::string& stream,
                                         std::int32_t partition) override {
        return store_.position(source, stream, partition);
    }

    std::mutex mutex;
    std::vector<Batch> submitted;  // every attempt, failed or not
    std::vector<Batch> committed;
    int failures = 0;               // this many submits answer Unavailable
    std::set<std::string> refused;  // references of candidates the store refuses alone
    bool hold = false;              // commits wait in `held` until release_held()
    bool fail_held = false;         // while holding: what is held fails (Unavailable) instead
    std::vector<std::function<void()>> held;

    void submit(Batch batch, std::function<void(IngestResult)> done) override {
        std::unique_lock lock(mutex);
        submitted.push_back(batch);
        if (hold && fail_held) {
            held.push_back([done = std::move(done)] {
                done({IngestStatus::Unavailable, {}, "injected: store unavailable"});
            });
            return;
        }
        if (failures > 0) {
            --failures;
            lock.unlock();
            done({IngestStatus::Unavailable, {}, "injected: store unavailable"});
            return;
        }
        IngestResult result;
        result.items.resize(batch.candidates.size());
        for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
            if (refused.contains(batch.candidates[i].reference)) {
                result.items[i].reasons.push_back(
                    {std::string(reason::kStoreRefused), "Trade T: could not hold it"});
            } else {
                result.items[i].outcome = Outcome::Created;
            }
        }
        {
            std::lock_guard store_lock(store_.mutex);
            for (const SourcePosition& position : batch.positions) {
                auto& recorded = store_.positions[{position.stream, position.partition}];
                recorded = std::max(recorded, position.offset);
            }
        }
        committed.push_back(std::move(batch));
        if (hold) {
            held.push_back([done = std::move(done), result = std::move(result)]() mutable {
                done(std::move(result));
            });
            return;
        }
        lock.unlock();
        done(std::move(result));
    }

    // Answers the held commits, from this thread, as a kernel writer would.
    void release_held() {
        std::vector<std::function<void()>> answers;
        {
            std::lock_guard lock(mutex);
            hold = false;
            fail_held = false;
            answers.swap(held);
        }
        for (auto& answer : answers) answer();
    }

    std::size_t held_count() {
        std::lock_guard lock(mutex);
        return held.size();
    }

    std::vector<std::string> committed_references() {
        std::lock_guard lock(mutex);
        std::vector<std::string> references;
        for (const Batch& batch : committed) {
            for (const Candidate& candidate : batch.candidates) {
                references.push_back(candidate.reference);
            }
            for (const AuditEntry& entry : batch.audit_only) references.push_back(entry.reference);
        }
        std::sort(references.begin(), references.end());
        return references;
    }

  private:
    FakeStore& store_;
};

// --- the mock cluster -------------------------------------------------------------------------

class MockKafkaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char error[512];
        rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", error, sizeof error);
        producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
        ASSERT_NE(producer_, nullptr) << error;
        cluster_ = rd_kafka_handle_mock_cluster(producer_);
        ASSERT_NE(cluster_, nullptr);
        bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
        ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, "trades", 3, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    void TearDown() override {
        source_.reset();
        if (producer_ != nullptr) rd_kafka_destroy(producer_);
    }

    KafkaConfig config() const {
        KafkaConfig config;
        config.brokers = bootstraps_;
        config.group_id = "mock-group";
        config.batch_size = 100;
        config.batch_wait = milliseconds(20);
        config.retry_backoff_max = milliseconds(200);
        config.shutdown_timeout = milliseconds(3000);
        config.properties = parse_properties("session.timeout.ms=6000, heartbeat.interval.ms=500");
        return config;
    }

    void produce(std::int32_t partition, const std::string& key, const std::string& value) {
        ASSERT_EQ(rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC("trades"),
                                    RD_KAFKA_V_PARTITION(partition),
                                    RD_KAFKA_V_KEY(key.data(), key.size()),
                                    RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    void produce_trades(std::int32_t partition, int count, int first_version = 1) {
        for (int i = 0; i < count; ++i) {
            const std::string id = "T" + std::to_string(partition);
            produce(partition, id,
                    R"({"trade_id":")" + id + R"(","version":)" +
                        std::to_string(first_version + i) +
                        R"(,"counter_party_id":"CP","book_id":"B","maturity_date":"2027-01-31"})");
        }
        ASSERT_EQ(rd_kafka_flush(producer_, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
    }

    void start(KafkaConfig config) {
        source_ = std::make_unique<KafkaSource>(std::move(config));
        source_->start(host_);
    }

    // The group's committed offsets, asked of the coordinator by another client.
    std::map<std::int32_t, std::int64_t> committed_offsets() {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char error[512];
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), error, sizeof error);
        rd_kafka_conf_set(conf, "group.id", "mock-group", error, sizeof error);
        rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(3);
        for (std::int32_t p = 0; p < 3; ++p) rd_kafka_topic_partition_list_add(list, "trades", p);
        std::map<std::int32_t, std::int64_t> offsets;
        if (rd_kafka_committed(reader, list, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            for (int i = 0; i < list->cnt; ++i) {
                offsets[list->elems[i].partition] = list->elems[i].offset;
            }
        }
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_destroy(reader);
        return offsets;
    }

    // Every message of partition 0 of a topic, read from the beginning: (key, reason header).
    std::vector<std::pair<std::string, std::string>> read_topic(const std::string& topic,
                                                                std::size_t expected,
                                                                milliseconds within = seconds(20)) {
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        char error[512];
        rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps_.c_str(), error, sizeof error);
        rd_kafka_conf_set(conf, "group.id", "reader", error, sizeof error);
        rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(reader, list);
        rd_kafka_topic_partition_list_destroy(list);
        std::vector<std::pair<std::string, std::string>> out;
        const auto until = steady_clock::now() + within;
        while (out.size() < expected && steady_clock::now() < until) {
            rd_kafka_message_t* message = rd_kafka_consumer_poll(reader, 100);
            if (message == nullptr) continue;
            if (!message->err) {
                std::string reason;
                rd_kafka_headers_t* headers = nullptr;
                const void* value = nullptr;
                size_t size = 0;
                if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                    rd_kafka_header_get_last(headers, "tradestore.dlq.reason", &value, &size) ==
                        RD_KAFKA_RESP_ERR_NO_ERROR) {
                    reason.assign(static_cast<const char*>(value), size);
                }
                out.emplace_back(
                    std::string(static_cast<const char*>(message->key), message->key_len), reason);
            }
            rd_kafka_message_destroy(message);
        }
        rd_kafka_consumer_close(reader);
        rd_kafka_destroy(reader);
        return out;
    }

    static std::vector<std::string> references(int partition, int from, int to) {
        std::vector<std::string> out;
        for (int offset = from; offset < to; ++offset) {
            out.push_back("trades/" + std::to_string(partition) + "/" + std::to_string(offset));
        }
        return out;
    }

    FakeStore store_;
    FakeSink sink_{store_};
    test_support::FakeHost host_{store_, sink_};
    rd_kafka_t* producer_ = nullptr;
    rd_kafka_mock_cluster_t* cluster_ = nullptr;
    std::string bootstraps_;
    std::unique_ptr<KafkaSource> source_;
};

TEST_F(MockKafkaTest, AStoreOutageRetriesTheSameBatchAndMovesNoOffsetUntilItCommits) {
    sink_.failures = 3;
    produce_trades(0, 10);
    start(config());

    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 10; }))
        << host_.log_text();
    EXPECT_TRUE(host_.logged("consumption paused"));
    // Logged by the poll thread after the sink has recorded the commit.
    EXPECT_TRUE(wait_until([&] { return host_.logged("consumption resumed"); }));
    {
        std::lock_guard lock(sink_.mutex);
        ASSERT_GE(sink_.submitted.size(), 4u);
        // The three failed attempts and the committed one carry the same messages.
        const auto refs = [](const Batch& batch) {
            std::vector<std::string> out;
            for (const Candidate& c : batch.candidates) out.push_back(c.reference);
            return out;
        };
        for (std::size_t i = 1; i < 4; ++i) {
            EXPECT_EQ(refs(sink_.submitted[i]), refs(sink_.submitted[0]));
        }
        EXPECT_EQ(sink_.committed.front().positions.front().offset,
                  static_cast<std::int64_t>(sink_.committed.front().candidates.size()) - 1);
    }
    source_->stop();
    EXPECT_EQ(sink_.committed_references(), references(0, 0, 10));
    EXPECT_EQ(committed_offsets()[0], 10);
}

TEST_F(MockKafkaTest, ADeadLetterTopicThatCannotBeWrittenHoldsTheBatchBack) {
    produce_trades(1, 2);
    produce(1, "T1", "{not json");
    produce_trades(1, 2, 3);
    // Every produce request fails for a while: the dead letter cannot be written.
    rd_kafka_mock_push_request_errors(
        cluster_, kProduceApiKey, 4, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    start(config());

    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 5; }))
        << host_.log_text();
    EXPECT_TRUE(host_.logged("cannot write to dead-letter topic trades.dlq"));
    {
        std::lock_guard lock(sink_.mutex);
        // Nothing reached the store before the dead letter was written.
        EXPECT_EQ(sink_.submitted.size(), sink_.committed.size());
        std::size_t audit_only = 0;
        for (const Batch& batch : sink_.committed) {
            for (const AuditEntry& entry : batch.audit_only) {
                ++audit_only;
                EXPECT_EQ(entry.reference, "trades/1/2");
                EXPECT_EQ(entry.reason_codes, std::vector<std::string>{"MALFORMED_JSON"});
            }
        }
        EXPECT_EQ(audit_only, 1u);
    }
    source_->stop();
    EXPECT_EQ(committed_offsets()[1], 5);
}

TEST_F(MockKafkaTest, WhenTheStoreCannotTellPositionsAtAssignmentReplaysAreSkippedLater) {
    // An earlier run applied offsets 0..4 of partition 2 (the commit to Kafka was lost), and
    // the store is down while the partitions are assigned.
    store_.positions[{"trades", 2}] = 4;
    store_.position_failures = 5;
    produce_trades(2, 10);
    start(config());

    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 5; }))
        << host_.log_text();
    source_->stop();
    EXPECT_EQ(sink_.committed_references(), references(2, 5, 10));
    EXPECT_EQ(committed_offsets()[2], 10);
}

TEST_F(MockKafkaTest, AssignmentStartsRightAfterThePositionTheStoreRecorded) {
    store_.positions[{"trades", 0}] = 6;
    produce_trades(0, 10);
    start(config());
    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 3; }))
        << host_.log_text();
    EXPECT_TRUE(host_.logged("trades/0@7"));
    source_->stop();
    EXPECT_EQ(sink_.committed_references(), references(0, 7, 10));
}

TEST_F(MockKafkaTest, StopFinishesTheBatchInHandAndCommitsItsOffsets) {
    KafkaConfig slow = config();
    slow.batch_size = 1000;
    slow.batch_wait = seconds(60);  // the batch would wait a minute to fill up
    produce_trades(0, 4);
    start(slow);
    ASSERT_TRUE(wait_until([&] { return host_.logged("assigned"); })) << host_.log_text();
    std::this_thread::sleep_for(milliseconds(1500));  // messages are in hand, not submitted
    EXPECT_TRUE(sink_.committed_references().empty());
    const auto stopping = steady_clock::now();
    source_->stop();
    EXPECT_LT(steady_clock::now() - stopping, seconds(10));
    // Whatever was in hand went to the store, and exactly that was committed to Kafka.
    const std::int64_t committed = committed_offsets()[0];
    EXPECT_GE(committed, 1);
    EXPECT_EQ(sink_.committed_references(), references(0, 0, static_cast<int>(committed)));
    EXPECT_TRUE(host_.logged("left group mock-group"));
}

TEST_F(MockKafkaTest, HealthFollowsTheBrokerConnection) {
    start(config());
    ASSERT_TRUE(wait_until([&] { return source_->healthy(); })) << host_.log_text();
    ASSERT_EQ(rd_kafka_mock_broker_set_down(cluster_, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_TRUE(wait_until([&] { return !source_->healthy(); })) << host_.log_text();
    ASSERT_EQ(rd_kafka_mock_broker_set_up(cluster_, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    EXPECT_TRUE(wait_until([&] { return source_->healthy(); })) << host_.log_text();
    source_->stop();
    EXPECT_FALSE(source_->healthy());
}

TEST_F(MockKafkaTest, ATradeTheStoreRefusedIsDeadLetteredAfterTheCommit) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, "trades.dlq", 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
    sink_.refused = {"trades/0/1"};
    produce_trades(0, 3);
    start(config());

    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 3; }))
        << host_.log_text();
    const auto letters = read_topic("trades.dlq", 1);
    ASSERT_EQ(letters.size(), 1u) << host_.log_text();
    EXPECT_EQ(letters[0], (std::pair<std::string, std::string>{"T0", "STORE_REFUSED"}));
    source_->stop();
    EXPECT_EQ(committed_offsets()[0], 3);
    EXPECT_EQ(read_topic("trades.dlq", 2, seconds(3)).size(), 1u);  // exactly one
}

// Result records are produced without waiting: one the broker refuses is lost (the store's
// audit has the decision) but counted in /metrics, not only logged.
TEST_F(MockKafkaTest, ResultRecordsTheBrokerRefusesAreCountedAsLost) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, "trades.results", 1, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    produce_trades(0, 3);
    // Every produce request fails for a while: the three result records are not delivered.
    for (int i = 0; i < 10; ++i) {
        rd_kafka_mock_push_request_errors(cluster_, kProduceApiKey, 1,
                                          RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    }
    KafkaConfig with_results = config();
    with_results.results_topic = "trades.results";
    start(with_results);

    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 3; }))
        << host_.log_text();
    const std::string lost = "tradestore_kafka_results_lost_total{group=\"mock-group\"} 3\n";
    EXPECT_TRUE(wait_until(
        [&] { return host_.metrics_.render_prometheus().find(lost) != std::string::npos; },
        seconds(15)))
        << host_.metrics_.render_prometheus();
    EXPECT_TRUE(host_.logged("a result record was not delivered to trades.results"));
    source_->stop();
}

TEST_F(MockKafkaTest, MessagesWaitingPastStallTimeoutMakeTheSourceStalledOnceUntilACommit) {
    KafkaConfig stalling = config();
    stalling.stall_timeout = milliseconds(1000);
    sink_.failures = 1'000'000;
    produce_trades(0, 3);
    start(stalling);

    ASSERT_TRUE(wait_until([&] { return source_->health_details().at("kafka_stalled") == "true"; }))
        << host_.log_text();
    EXPECT_FALSE(source_->healthy());
    std::this_thread::sleep_for(milliseconds(1500));  // still stalled: no second event
    EXPECT_EQ(host_.events_of("KAFKA_STALLED"), 1u);
    {
        std::lock_guard lock(sink_.mutex);
        sink_.failures = 0;
    }
    ASSERT_TRUE(wait_until([&] { return source_->healthy(); })) << host_.log_text();
    EXPECT_EQ(source_->health_details().at("kafka_stalled"), "false");
    EXPECT_EQ(sink_.committed_references(), references(0, 0, 3));
    EXPECT_EQ(host_.events_of("KAFKA_STALLED"), 1u);
    EXPECT_TRUE(host_.logged("no longer stalled"));
    source_->stop();
}

TEST_F(MockKafkaTest, PartitionsCommitInParallelButEachHasOneBatchInFlight) {
    KafkaConfig config = this->config();
    config.batch_size = 5;
    {
        std::lock_guard lock(sink_.mutex);
        sink_.hold = true;
    }
    for (std::int32_t partition = 0; partition < 3; ++partition) produce_trades(partition, 20);
    start(config);

    // One batch of every partition is handed in while none has committed, and no second one.
    ASSERT_TRUE(wait_until([&] { return sink_.held_count() == 3; })) << host_.log_text();
    std::this_thread::sleep_for(milliseconds(300));
    {
        std::lock_guard lock(sink_.mutex);
        ASSERT_EQ(sink_.submitted.size(), 3u);
        std::set<std::int32_t> partitions;
        for (const Batch& batch : sink_.submitted) {
            ASSERT_EQ(batch.candidates.size(), 5u);
            EXPECT_TRUE(batch.bulk);
            partitions.insert(batch.candidates.front().origin.partition);
        }
        EXPECT_EQ(partitions, (std::set<std::int32_t>{0, 1, 2}));
    }
    sink_.release_held();
    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 60; }))
        << host_.log_text();
    source_->stop();
    // Every message once, and each partition's batches in offset order.
    std::map<std::int32_t, std::int64_t> last;
    std::lock_guard lock(sink_.mutex);
    for (const Batch& batch : sink_.committed) {
        for (const Candidate& candidate : batch.candidates) {
            const auto [it, fresh] = last.try_emplace(candidate.origin.partition, -1);
            EXPECT_EQ(candidate.origin.offset, it->second + 1) << candidate.reference;
            it->second = candidate.origin.offset;
        }
    }
    EXPECT_EQ(last, (std::map<std::int32_t, std::int64_t>{{0, 19}, {1, 19}, {2, 19}}));
}

TEST_F(MockKafkaTest, PastMaxBufferedBytesConsumptionPausesAndLosesNothing) {
    KafkaConfig config = this->config();
    config.batch_size = 10;
    config.max_buffered_bytes = 4'000;  // about 15 messages
    {
        std::lock_guard lock(sink_.mutex);
        sink_.hold = true;
    }
    produce_trades(0, 200);
    start(config);
    ASSERT_TRUE(wait_until([&] { return host_.logged("past max_buffered_mb"); }))
        << host_.log_text();
    sink_.release_held();  // one batch answered; the rest flows without holds
    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 200; }))
        << host_.log_text();
    EXPECT_TRUE(host_.logged("consumption resumed below max_buffered_mb"));
    source_->stop();
    std::vector<std::string> expected = references(0, 0, 200);
    std::sort(expected.begin(), expected.end());  // as committed_references() sorts
    EXPECT_EQ(sink_.committed_references(), expected);
    EXPECT_EQ(committed_offsets()[0], 200);
}

TEST_F(MockKafkaTest, ABatchPreparedBehindOneThatFailsFollowsItsRetryInOffsetOrder) {
    KafkaConfig config = this->config();
    config.batch_size = 5;
    {
        std::lock_guard lock(sink_.mutex);
        sink_.hold = true;
        sink_.fail_held = true;
    }
    produce_trades(0, 15);
    start(config);

    // The first batch is in flight; the second is taken and decoded meanwhile, not handed in.
    ASSERT_TRUE(wait_until([&] { return sink_.held_count() == 1; })) << host_.log_text();
    std::this_thread::sleep_for(milliseconds(300));
    {
        std::lock_guard lock(sink_.mutex);
        ASSERT_EQ(sink_.submitted.size(), 1u);
    }
    sink_.release_held();  // the first batch fails; everything after it commits
    ASSERT_TRUE(wait_until([&] { return sink_.committed_references().size() == 15; }))
        << host_.log_text();
    source_->stop();
    std::lock_guard lock(sink_.mutex);
    // The retry carries the failed batch's messages again, before the prepared ones.
    ASSERT_GE(sink_.submitted.size(), 2u);
    ASSERT_EQ(sink_.submitted[1].candidates.size(), 5u);
    EXPECT_EQ(sink_.submitted[1].candidates.front().reference, "trades/0/0");
    std::int64_t last = -1;
    for (const Batch& batch : sink_.committed) {
        for (const Candidate& candidate : batch.candidates) {
            EXPECT_EQ(candidate.origin.offset, last + 1) << candidate.reference;
            last = candidate.origin.offset;
        }
    }
    EXPECT_EQ(last, 14);
}

}  // namespace
}  // namespace tradestore::kafka
