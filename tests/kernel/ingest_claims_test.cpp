// Idempotency claims through the real ingest pipeline and the real SQLite store: a claim's
// answer is rendered from exactly the results its source receives, when the shape guard drops
// candidates before the store and when group commit merges several batches into one
// transaction.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include "ingest_pipeline.h"
#include "sqlite_store.h"

namespace tradestore::kernel {
namespace {

using Renderer = std::function<IdempotentAnswer(std::span<const ItemResult>)>;

constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

// "T1:created;:rejected INVALID_TRADE;": names each covered result, so an answer rendered from
// the wrong candidates shows.
IdempotentAnswer describe(std::span<const ItemResult> results) {
    IdempotentAnswer answer{200, {}};
    for (const ItemResult& result : results) {
        answer.body += result.stored ? result.stored->trade_id : std::string();
        answer.body += ':';
        answer.body += to_string(result.outcome);
        for (const Rejection& reason : result.reasons) answer.body += " " + reason.code;
        answer.body += ';';
    }
    return answer;
}

Candidate candidate(std::string trade_id) {
    Candidate c;
    c.trade.trade_id = std::move(trade_id);
    c.trade.version = 1;
    c.trade.counter_party_id = "CP-1";
    c.trade.book_id = "B1";
    c.trade.maturity_date = kToday + std::chrono::days{30};
    c.trade.created_date = kToday;
    c.source = "rest";
    c.reference = "req";
    return c;
}

Batch claimed_batch(std::vector<Candidate> candidates, std::string key,
                    Renderer render = &describe) {
    Batch batch;
    const std::size_t count = candidates.size();
    batch.candidates = std::move(candidates);
    batch.idempotency.push_back(
        {std::move(key), "hash",
         std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()) +
             std::chrono::hours(1),
         0, count, std::move(render)});
    return batch;
}

class IngestClaimsTest : public ::testing::Test {
  protected:
    IngestClaimsTest()
        : directory_(std::filesystem::temp_directory_path() /
                     ("ingest-claims-" + std::to_string(::getpid()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
        plugins::SqliteStoreOptions options;
        options.connection.path = directory_ / "trades.db";
        store_ = std::make_shared<plugins::SqliteStore>(options);
        store_->open();
        pipeline_ = std::make_unique<IngestPipeline>(store_, std::vector<const Rule*>{}, clock_,
                                                     IngestOptions{1000, 1, 2, 100},
                                                     [](LogLevel, const std::string&) {});
        pipeline_->start();
    }
    ~IngestClaimsTest() override {
        pipeline_->stop();
        store_->close();
        std::filesystem::remove_all(directory_);
    }

    std::string answer_of(const std::string& key) {
        const std::optional<StoredAnswer> stored = store_->idempotent_answer(key);
        return stored ? stored->answer.body : "(none)";
    }

    // How many transactions wrote these keys' rows: each transaction stamps its own time.
    int transactions_of(const std::string& keys) {
        sqlite3* db = nullptr;
        sqlite3_open((directory_ / "trades.db").c_str(), &db);
        sqlite3_stmt* statement = nullptr;
        const std::string sql =
            "SELECT count(DISTINCT created_at) FROM idempotency_keys WHERE key IN (" + keys + ")";
        sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
        const int count =
            sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
        sqlite3_finalize(statement);
        sqlite3_close(db);
        return count;
    }

    std::filesystem::path directory_;
    FixedClock clock_{kToday};
    std::shared_ptr<plugins::SqliteStore> store_;
    std::unique_ptr<IngestPipeline> pipeline_;
};

TEST_F(IngestClaimsTest, TheAnswerCoversCandidatesTheShapeGuardDropped) {
    IngestResult result = pipeline_->submit_and_wait(
        claimed_batch({candidate("S1"), candidate(""), candidate("S2")}, "k-shape"));
    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    ASSERT_EQ(result.items.size(), 3u);
    EXPECT_EQ(answer_of("k-shape"), describe(result.items).body);
    EXPECT_EQ(answer_of("k-shape"), "S1:created;:rejected INVALID_TRADE;S2:created;");

    // Nothing of this batch reaches the store but its claim.
    result = pipeline_->submit_and_wait(claimed_batch({candidate("")}, "k-only-bad"));
    ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
    EXPECT_EQ(answer_of("k-only-bad"), ":rejected INVALID_TRADE;");
}

TEST_F(IngestClaimsTest, GroupCommitRendersEachAnswerFromItsOwnBatch) {
    // The first batch's renderer holds the single writer inside its transaction until the
    // next three batches have queued, so those three are applied as one group.
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<IngestResult> first;
    pipeline_->submit(claimed_batch({candidate("G0")}, "k-g0",
                                    [&entered, released](std::span<const ItemResult> results) {
                                        entered.set_value();
                                        released.wait();
                                        return describe(results);
                                    }),
                      [&first](IngestResult r) { first.set_value(std::move(r)); });
    entered.get_future().wait();
    std::promise<IngestResult> done[3];
    const std::vector<std::vector<Candidate>> groups = {{candidate("GA1"), candidate("GA2")},
                                                        {candidate("GB1")},
                                                        {candidate("GC1"), candidate("")}};
    for (std::size_t i = 0; i < groups.size(); ++i) {
        pipeline_->submit(claimed_batch(groups[i], "k-g" + std::to_string(i + 1)),
                          [&done, i](IngestResult r) { done[i].set_value(std::move(r)); });
    }
    release.set_value();
    ASSERT_EQ(first.get_future().get().status, IngestStatus::Committed);
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const IngestResult result = done[i].get_future().get();
        ASSERT_EQ(result.status, IngestStatus::Committed) << result.error;
        EXPECT_EQ(answer_of("k-g" + std::to_string(i + 1)), describe(result.items).body) << i;
    }
    EXPECT_EQ(answer_of("k-g1"), "GA1:created;GA2:created;");
    EXPECT_EQ(answer_of("k-g2"), "GB1:created;");
    EXPECT_EQ(answer_of("k-g3"), "GC1:created;:rejected INVALID_TRADE;");
    EXPECT_EQ(transactions_of("'k-g1', 'k-g2', 'k-g3'"), 1) << "the three were not merged";
    EXPECT_EQ(transactions_of("'k-g0', 'k-g1'"), 2);
}

TEST_F(IngestClaimsTest, AKeyInUseFailsItsBatchAloneInAGroup) {
    ASSERT_EQ(pipeline_->submit_and_wait(claimed_batch({candidate("U0")}, "k-used")).status,
              IngestStatus::Committed);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<IngestResult> first;
    pipeline_->submit(claimed_batch({candidate("U1")}, "k-hold",
                                    [released](std::span<const ItemResult> results) {
                                        released.wait();
                                        return describe(results);
                                    }),
                      [&first](IngestResult r) { first.set_value(std::move(r)); });
    std::promise<IngestResult> reused, other;
    pipeline_->submit(claimed_batch({candidate("U2")}, "k-used"),
                      [&reused](IngestResult r) { reused.set_value(std::move(r)); });
    pipeline_->submit(claimed_batch({candidate("U3")}, "k-other"),
                      [&other](IngestResult r) { other.set_value(std::move(r)); });
    release.set_value();
    EXPECT_EQ(first.get_future().get().status, IngestStatus::Committed);
    EXPECT_EQ(reused.get_future().get().status, IngestStatus::KeyInUse);
    EXPECT_EQ(other.get_future().get().status, IngestStatus::Committed);
    EXPECT_FALSE(store_->get("U2", kToday));
    EXPECT_TRUE(store_->get("U3", kToday));
    EXPECT_EQ(answer_of("k-used"), "U0:created;");
}

}  // namespace
}  // namespace tradestore::kernel
