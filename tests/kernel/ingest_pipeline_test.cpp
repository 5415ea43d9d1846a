// The kernel's ingest path against a scripted store: nothing unstorable reaches the store, and
// what the store refuses or cannot confirm is handled per item and per batch.
#include "ingest_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>

#include "eventually.h"
#include "ingest_metrics.h"
#include "metrics_registry.h"
#include "scripted_store.h"
#include "trade_shape.h"

namespace tradestore::kernel {
namespace {

using test_support::ScriptedStore;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 1 / 15};

Candidate candidate(std::string trade_id, std::string source = "rest") {
    Candidate made;
    made.trade.trade_id = std::move(trade_id);
    made.trade.version = 1;
    made.trade.counter_party_id = "CP";
    made.trade.book_id = "B";
    made.trade.maturity_date = kToday + std::chrono::days{30};
    made.trade.created_date = kToday;
    made.source = std::move(source);
    made.reference = "req-" + made.trade.trade_id;
    return made;
}

Candidate kafka_candidate(std::string trade_id, std::int64_t offset) {
    Candidate made = candidate(std::move(trade_id), "kafka");
    made.reference = "trades/0/" + std::to_string(offset);
    made.origin = {"trades", 0, offset};
    return made;
}

AuditEntry dead_letter(std::string key, std::int64_t offset) {
    AuditEntry entry;
    entry.trade_id = std::move(key);
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {"INVALID_TRADE"};
    entry.message = "Kafka message trades/0/" + std::to_string(offset) + " dead-lettered";
    entry.source = "kafka";
    entry.reference = "trades/0/" + std::to_string(offset);
    entry.origin = {"trades", 0, offset};
    return entry;
}

// What PostgreSQL refuses in text: a NUL byte, invalid UTF-8, and an index key past its btree
// limit of 2,704 bytes (audit_log_trade_id).
bool postgres_refuses(const std::string& text) {
    return text.find('\0') != std::string::npos || !utf8_length(text) || text.size() > 2'704;
}

bool postgres_refuses(const Batch& batch) {
    for (const Candidate& item : batch.candidates) {
        if (postgres_refuses(item.source) || postgres_refuses(item.reference) ||
            postgres_refuses(item.origin.stream))
            return true;
    }
    for (const AuditEntry& entry : batch.audit_only) {
        if (postgres_refuses(entry.trade_id) || postgres_refuses(entry.message) ||
            postgres_refuses(entry.source) || postgres_refuses(entry.reference))
            return true;
    }
    return false;
}

class IngestPipelineTest : public ::testing::Test {
  protected:
    void start(std::size_t max_batch_candidates = 1'000) {
        pipeline_ = std::make_unique<IngestPipeline>(
            store_, std::vector<const Rule*>{}, clock_, IngestOptions{max_batch_candidates, 1},
            [this](LogLevel level, const std::string& message) {
                std::lock_guard lock(log_mutex_);
                if (level == LogLevel::Error) errors_.push_back(message);
            },
            &metrics_);
        pipeline_->start();
    }

    // Submits without waiting; the result arrives in the future.
    std::future<IngestResult> submit(Batch batch) {
        auto promise = std::make_shared<std::promise<IngestResult>>();
        auto future = promise->get_future();
        pipeline_->submit(std::move(batch), [promise](IngestResult result) {
            promise->set_value(std::move(result));
        });
        return future;
    }

    // Holds the store in an apply() of batch {HOLD}, so the next submits queue up as a group.
    std::future<IngestResult> hold_the_writer() {
        store_->hold();
        Batch first;
        first.candidates.push_back(candidate("HOLD"));
        auto result = submit(std::move(first));
        EXPECT_TRUE(test_support::eventually([&] { return store_->holding(); }));
        return result;
    }

    std::string metrics_text() { return registry_.render_prometheus(); }
    void TearDown() override {
        if (pipeline_) pipeline_->stop();
    }

    std::shared_ptr<ScriptedStore> store_ = std::make_shared<ScriptedStore>();
    FixedClock clock_{kToday};
    MetricsRegistry registry_;
    IngestMetrics metrics_{registry_};
    std::unique_ptr<IngestPipeline> pipeline_;
    std::mutex log_mutex_;
    std::vector<std::string> errors_;
};

TEST_F(IngestPipelineTest, HostileDeadLetterKeysAreRecordedEscapedNeverRefused) {
    store_->refuse_when([](const Batch& batch) { return postgres_refuses(batch); });
    start();
    Batch batch;
    batch.candidates.push_back(kafka_candidate("GOOD-1", 0));
    batch.audit_only.push_back(dead_letter(std::string("K\0EY", 4), 1));
    batch.audit_only.push_back(
        dead_letter("K\x80"
                    "EY",
                    2));
    batch.audit_only.push_back(dead_letter(std::string(8'000, 'k'), 3));
    batch.candidates.push_back(kafka_candidate("GOOD-2", 4));
    batch.positions.push_back({"kafka", "trades", 0, 4});

    const IngestResult result = pipeline_->submit_and_wait(std::move(batch));

    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    ASSERT_EQ(result.items.size(), 2u);
    EXPECT_EQ(store_->committed_ids(), (std::vector<std::string>{"GOOD-1", "GOOD-2"}));
    const std::vector<AuditEntry> audit = store_->committed_audit();
    ASSERT_EQ(audit.size(), 3u);
    EXPECT_EQ(audit[0].trade_id, "K\\x00EY");
    EXPECT_EQ(audit[1].trade_id, "K\\x80EY");
    EXPECT_EQ(audit[2].trade_id.size(), kMaxStorableIdBytes);
    EXPECT_EQ(audit[2].trade_id.substr(0, 10), "kkkkkkkkkk");
    for (const AuditEntry& entry : audit) EXPECT_EQ(entry.origin.stream, "trades");
}

TEST_F(IngestPipelineTest, CandidateReferencesAndStreamsAreMadeStorable) {
    store_->refuse_when([](const Batch& batch) { return postgres_refuses(batch); });
    start();
    Batch batch;
    Candidate item = kafka_candidate("T1", 7);
    item.reference = std::string("req\0id", 6);
    item.origin.stream =
        "tr\xFF"
        "des";
    batch.candidates.push_back(std::move(item));

    const IngestResult result = pipeline_->submit_and_wait(std::move(batch));

    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    const std::vector<Batch> committed = store_->committed();
    ASSERT_EQ(committed.size(), 1u);
    EXPECT_EQ(committed[0].candidates[0].reference, "req\\x00id");
    EXPECT_EQ(committed[0].candidates[0].origin.stream, "tr\\xffdes");
}

}  // namespace
}  // namespace tradestore::kernel
