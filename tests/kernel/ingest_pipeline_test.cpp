// The kernel's ingest path against a scripted store: nothing unstorable reaches the store, and
// what the store refuses or cannot confirm is handled per item and per batch.
#include "ingest_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

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
    void start(std::size_t max_batch_candidates = 1'000, std::size_t writers = 1,
               std::size_t request_writers = 2, std::size_t backlog_share_percent = 100) {
        pipeline_ = std::make_unique<IngestPipeline>(
            store_, std::vector<const Rule*>{}, clock_,
            IngestOptions{max_batch_candidates, writers, request_writers, backlog_share_percent},
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

Batch bulk_batch(std::string trade_id, std::int64_t offset) {
    Batch batch;
    batch.candidates.push_back(kafka_candidate(std::move(trade_id), offset));
    batch.bulk = true;
    return batch;
}

Batch interactive_batch(std::string trade_id) {
    Batch batch;
    batch.candidates.push_back(candidate(std::move(trade_id)));
    return batch;
}

std::vector<std::string> first_ids(const std::vector<Batch>& batches) {
    std::vector<std::string> ids;
    for (const Batch& batch : batches) ids.push_back(batch.candidates.front().trade.trade_id);
    return ids;
}

TEST_F(IngestPipelineTest, WithOneWriterAWaitingRequestGoesBeforeAWaitingBacklog) {
    start();
    auto held = hold_the_writer();
    auto bulk_first = submit(bulk_batch("K1", 1));
    auto bulk_second = submit(bulk_batch("K2", 2));
    auto request = submit(interactive_batch("R1"));
    store_->release();
    for (auto* result : {&held, &bulk_first, &bulk_second, &request})
        ASSERT_EQ(result->get().status, IngestStatus::Committed);
    // The request was queued last, and is applied right after the batch that held the writer;
    // the bulk batches share a group after it, never a group with the request.
    const std::vector<Batch> committed = store_->committed();
    ASSERT_EQ(committed.size(), 3u);
    EXPECT_EQ(first_ids(committed), (std::vector<std::string>{"HOLD", "R1", "K1"}));
    EXPECT_EQ(committed[2].candidates.size(), 2u);
}

TEST_F(IngestPipelineTest, WithTwoWritersABacklogNeverTakesTheSecondOne) {
    start(1'000, 2);
    store_->hold();
    auto bulk_first = submit(bulk_batch("K1", 1));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 1; }));
    auto bulk_second = submit(bulk_batch("K2", 2));
    // The second writer stays free for requests: the backlog's next batch waits.
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(store_->apply_calls(), 1);
    auto request = submit(interactive_batch("R1"));
    EXPECT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 2; }));
    store_->release();
    for (auto* result : {&bulk_first, &bulk_second, &request})
        ASSERT_EQ(result->get().status, IngestStatus::Committed);
    EXPECT_EQ(store_->committed().size(), 3u);
    EXPECT_EQ(store_->apply_calls(), 3);
}

TEST_F(IngestPipelineTest, RequestsTakeAtMostRequestWritersAtOnce) {
    start(1'000, 4, 2);
    store_->hold();
    auto first = submit(interactive_batch("R1"));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 1; }));
    auto second = submit(interactive_batch("R2"));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 2; }));
    // Two writers are free, but a third group of requests waits, growing, for one of the two.
    auto third = submit(interactive_batch("R3"));
    auto fourth = submit(interactive_batch("R4"));
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(store_->apply_calls(), 2);
    store_->release();
    for (auto* result : {&first, &second, &third, &fourth})
        ASSERT_EQ(result->get().status, IngestStatus::Committed);
    EXPECT_EQ(store_->apply_calls(), 3);  // R3 and R4 in one group
    EXPECT_EQ(store_->committed().size(), 3u);
}

TEST_F(IngestPipelineTest, WhileRequestsArriveABacklogTakesAtMostItsShareOfTheTime) {
    start(1'000, 2, 2, 25);
    ASSERT_EQ(submit(interactive_batch("R1")).get().status, IngestStatus::Committed);
    store_->hold();
    auto first = submit(bulk_batch("K1", 1));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 2; }));
    auto second = submit(bulk_batch("K2", 2));
    std::this_thread::sleep_for(100ms);  // the first bulk group takes at least this long
    const auto released = std::chrono::steady_clock::now();
    store_->release();
    ASSERT_EQ(first.get().status, IngestStatus::Committed);
    ASSERT_EQ(second.get().status, IngestStatus::Committed);
    // A share of 25%: the backlog rests three times as long as its group took.
    EXPECT_GE(std::chrono::steady_clock::now() - released, 280ms);
    EXPECT_EQ(store_->committed_ids(), (std::vector<std::string>{"R1", "K1", "K2"}));
}

TEST_F(IngestPipelineTest, WhileRequestsArriveABacklogHasOneWriterOnly) {
    start(1'000, 3);
    store_->hold();
    auto request = submit(interactive_batch("R1"));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 1; }));
    auto bulk_first = submit(bulk_batch("K1", 1));
    ASSERT_TRUE(test_support::eventually([&] { return store_->apply_calls() == 2; }));
    // Without requests a backlog could take two of the three writers; with one just now, one.
    auto bulk_second = submit(bulk_batch("K2", 2));
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(store_->apply_calls(), 2);
    store_->release();
    for (auto* result : {&request, &bulk_first, &bulk_second})
        ASSERT_EQ(result->get().status, IngestStatus::Committed);
    EXPECT_EQ(store_->committed().size(), 3u);
}

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

std::string id_of(int n) {
    std::string id = std::to_string(n);
    return "T" + std::string(4 - id.size(), '0') + id;
}

Batch rest_batch(std::vector<std::string> ids) {
    Batch batch;
    for (std::string& id : ids) batch.candidates.push_back(candidate(std::move(id)));
    return batch;
}

// The highest and lowest offset a committed batch names (candidates, audit-only, positions).
std::pair<std::int64_t, std::int64_t> offset_range(const Batch& batch) {
    std::int64_t low = INT64_MAX;
    std::int64_t high = -1;
    const auto note = [&](std::int64_t offset) {
        low = std::min(low, offset);
        high = std::max(high, offset);
    };
    for (const Candidate& item : batch.candidates) note(item.origin.offset);
    for (const AuditEntry& entry : batch.audit_only) note(entry.origin.offset);
    for (const SourcePosition& position : batch.positions) note(position.offset);
    return {low, high};
}

TEST_F(IngestPipelineTest, OnePoisonedItemAmongAThousandIsRefusedAloneAndTheRestCommitsInOrder) {
    store_->refuse_id("T0500");
    start();
    Batch batch;
    std::vector<std::string> good;
    for (int n = 0; n < 1'000; ++n) {
        // Offsets 0..1049: every 20th offset is a dead letter, between the trades.
        const std::int64_t offset = n + n / 20;
        if (n % 20 == 0 && n != 0) batch.audit_only.push_back(dead_letter("DL", offset - 1));
        batch.candidates.push_back(kafka_candidate(id_of(n), offset));
        if (n != 500) good.push_back(id_of(n));
    }
    batch.positions.push_back({"kafka", "trades", 0, 1'049});

    const IngestResult result = pipeline_->submit_and_wait(std::move(batch));

    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    ASSERT_EQ(result.items.size(), 1'000u);
    for (int n = 0; n < 1'000; ++n) {
        const ItemResult& item = result.items[static_cast<std::size_t>(n)];
        if (n == 500) continue;
        EXPECT_EQ(item.outcome, Outcome::Created) << n;
        EXPECT_FALSE(item.skipped_as_replay) << n;
    }
    const ItemResult& refused = result.items[500];
    EXPECT_EQ(refused.outcome, Outcome::Rejected);
    ASSERT_EQ(refused.reasons.size(), 1u);
    EXPECT_EQ(refused.reasons[0].code, "STORE_REFUSED");
    EXPECT_THAT(refused.reasons[0].message, HasSubstr("Trade T0500"));
    EXPECT_THAT(refused.reasons[0].message, HasSubstr("could not hold"));
    EXPECT_THAT(refused.reasons[0].message, Not(HasSubstr("value refused")));  // the store's text

    EXPECT_EQ(store_->committed_ids(), good);
    // The refusal is recorded where the trade was, with its origin, so a replay skips it; the
    // 49 dead letters are all recorded once.
    std::vector<AuditEntry> refusals;
    std::size_t dead_letters = 0;
    for (const AuditEntry& entry : store_->committed_audit()) {
        if (entry.trade_id == "DL") ++dead_letters;
        if (entry.reason_codes == std::vector<std::string>{"STORE_REFUSED"})
            refusals.push_back(entry);
    }
    EXPECT_EQ(dead_letters, 49u);
    ASSERT_EQ(refusals.size(), 1u);
    EXPECT_EQ(refusals[0].trade_id, "T0500");
    EXPECT_EQ(refusals[0].origin, (Origin{"trades", 0, 525}));
    EXPECT_EQ(refusals[0].received_version, 1);
    // A store records the highest offset of each transaction and skips lower ones afterwards:
    // the pieces must follow each other in offset order, and the last holds the position.
    const std::vector<Batch> committed = store_->committed();
    for (std::size_t k = 1; k < committed.size(); ++k)
        EXPECT_GT(offset_range(committed[k]).first, offset_range(committed[k - 1]).second) << k;
    EXPECT_EQ(committed.back().positions,
              (std::vector<SourcePosition>{{"kafka", "trades", 0, 1'049}}));
    // Found by halving: about two transactions per halving of 1,000.
    EXPECT_LE(store_->apply_calls(), 25);
    EXPECT_THAT(metrics_text(),
                HasSubstr("tradestore_rejections_total{reason=\"STORE_REFUSED\"} 1"));
}

TEST_F(IngestPipelineTest, APoisonInAGroupOfRestBatchesFailsOnlyItsItem) {
    store_->refuse_id("POISON");
    start();
    auto held = hold_the_writer();
    auto b = submit(rest_batch({"B0", "B1", "B2"}));
    auto c = submit(rest_batch({"C0", "POISON", "C2"}));
    auto d = submit(rest_batch({"D0"}));
    store_->release();

    const IngestResult rb = b.get();
    const IngestResult rc = c.get();
    const IngestResult rd = d.get();
    ASSERT_EQ(held.get().status, IngestStatus::Committed);
    ASSERT_EQ(rb.status, IngestStatus::Committed);
    ASSERT_EQ(rc.status, IngestStatus::Committed);
    ASSERT_EQ(rd.status, IngestStatus::Committed);
    for (const ItemResult& item : rb.items) EXPECT_EQ(item.outcome, Outcome::Created);
    EXPECT_EQ(rd.items.at(0).outcome, Outcome::Created);
    ASSERT_EQ(rc.items.size(), 3u);
    EXPECT_EQ(rc.items[0].outcome, Outcome::Created);
    EXPECT_EQ(rc.items[1].outcome, Outcome::Rejected);
    EXPECT_EQ(rc.items[1].reasons.at(0).code, "STORE_REFUSED");
    EXPECT_EQ(rc.items[2].outcome, Outcome::Created);
    EXPECT_EQ(store_->committed_ids(),
              (std::vector<std::string>{"HOLD", "B0", "B1", "B2", "C0", "C2", "D0"}));
    const std::vector<AuditEntry> audit = store_->committed_audit();
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].trade_id, "POISON");
    EXPECT_EQ(audit[0].source, "rest");
    EXPECT_EQ(audit[0].reference, "req-POISON");
    // The group was tried once, then each batch alone (B, C, D), then C's halves.
    std::vector<std::size_t> group_sizes;
    for (const Batch& attempt : store_->attempted())
        group_sizes.push_back(attempt.candidates.size());
    EXPECT_EQ(group_sizes[1], 7u);
}

TEST_F(IngestPipelineTest, AnUnknownCommitOutcomeFailsEveryBatchOfTheGroupAndIsNeverReapplied) {
    start();
    auto held = hold_the_writer();
    store_->fail_next(CommitOutcomeUnknown("connection lost after COMMIT"));
    auto b = submit(rest_batch({"B0", "B1"}));
    auto c = submit(rest_batch({"C0"}));
    Batch kafka;
    kafka.candidates.push_back(kafka_candidate("K0", 3));
    auto d = submit(std::move(kafka));
    store_->release();

    ASSERT_EQ(held.get().status, IngestStatus::Committed);
    for (auto* pending : {&b, &c, &d}) {
        const IngestResult result = pending->get();
        EXPECT_EQ(result.status, IngestStatus::OutcomeUnknown);
        EXPECT_TRUE(result.items.empty());
    }
    EXPECT_EQ(store_->apply_calls(), 2);  // the held batch and the group, nothing again
    EXPECT_EQ(store_->committed_ids(), std::vector<std::string>{"HOLD"});
}

TEST_F(IngestPipelineTest, AnUnknownCommitOutcomeOfALoneBatchIsReportedAsSuch) {
    start();
    store_->fail_next(CommitOutcomeUnknown("connection lost after COMMIT"));
    const IngestResult result = pipeline_->submit_and_wait(rest_batch({"A", "B"}));
    EXPECT_EQ(result.status, IngestStatus::OutcomeUnknown);
    EXPECT_EQ(store_->apply_calls(), 1);
}

TEST_F(IngestPipelineTest, AnUnavailableStoreFailsTheBatchWithoutSplittingIt) {
    start();
    store_->fail_next(StoreUnavailable("connection refused"));
    const IngestResult result = pipeline_->submit_and_wait(rest_batch({"A", "B", "C", "D"}));
    EXPECT_EQ(result.status, IngestStatus::Unavailable);
    EXPECT_EQ(store_->apply_calls(), 1);
    EXPECT_TRUE(store_->committed_ids().empty());
}

TEST_F(IngestPipelineTest, AFailureThatDoesNotRepeatRefusesNothing) {
    // A rule or the store threw once: the halves commit, no item is refused.
    start();
    store_->fail_next(std::runtime_error("a rule threw"));
    const IngestResult result = pipeline_->submit_and_wait(rest_batch({"A", "B", "C", "D"}));
    ASSERT_EQ(result.status, IngestStatus::Committed);
    for (const ItemResult& item : result.items) EXPECT_EQ(item.outcome, Outcome::Created);
    EXPECT_EQ(store_->committed_ids(), (std::vector<std::string>{"A", "B", "C", "D"}));
    EXPECT_EQ(store_->apply_calls(), 3);
}

TEST_F(IngestPipelineTest, AuditEntriesTheStoreRefusesTooAreDroppedAndCountedNotStalled) {
    store_->refuse_id("BAD");
    store_->refuse_when([](const Batch& batch) {
        for (const AuditEntry& entry : batch.audit_only)
            if (entry.trade_id == "DL" || entry.trade_id == "BAD") return true;
        return false;
    });
    start();
    Batch batch;
    batch.candidates.push_back(kafka_candidate("A", 0));
    batch.audit_only.push_back(dead_letter("DL", 1));
    batch.candidates.push_back(kafka_candidate("BAD", 2));
    batch.candidates.push_back(kafka_candidate("C", 3));
    batch.positions.push_back({"kafka", "trades", 0, 3});

    const IngestResult result = pipeline_->submit_and_wait(std::move(batch));

    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    EXPECT_EQ(result.items.at(0).outcome, Outcome::Created);
    EXPECT_EQ(result.items.at(1).reasons.at(0).code, "STORE_REFUSED");
    EXPECT_EQ(result.items.at(2).outcome, Outcome::Created);
    EXPECT_EQ(store_->committed_ids(), (std::vector<std::string>{"A", "C"}));
    EXPECT_TRUE(store_->committed_audit().empty());
    EXPECT_EQ(store_->committed().back().positions.size(), 1u);
    EXPECT_THAT(metrics_text(), HasSubstr("tradestore_ingest_audit_dropped_total 2"));
    std::lock_guard lock(log_mutex_);
    EXPECT_THAT(errors_, testing::Contains(HasSubstr("dropped")));
}

}  // namespace
}  // namespace tradestore::kernel
