// PostgreSQL goes away while writers and readers stream: every call fails with
// StoreUnavailable (never another exception, never a hang), health says down, and when the
// server is back the same store works again; every acknowledged apply is in the database and
// nothing is half-written. The test runs a server of its own, which it stops and starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "eventually.h"
#include "pg_test_support.h"
#include "trade_builders.h"
#include "trade_rules.h"

namespace tradestore::pgtest {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr Date kToday = contract::kToday;

Batch one_trade(const std::string& id, std::int64_t version) {
    return test_support::batch_of(test_support::trade_of(id, version, kToday));
}

using test_support::eventually;

struct Observed {
    std::mutex mutex;
    std::set<std::string> acknowledged;  // ids whose apply returned
    std::vector<std::string> other_errors;
    std::atomic<int> successes{0};
    std::atomic<int> unavailable{0};
    std::atomic<std::int64_t> longest_call_ms{0};

    void took(steady_clock::duration duration) {
        const std::int64_t ms = std::chrono::duration_cast<milliseconds>(duration).count();
        std::int64_t current = longest_call_ms.load();
        while (current < ms && !longest_call_ms.compare_exchange_weak(current, ms)) {
        }
    }
};

// One call, classified: success, StoreUnavailable or anything else.
template <typename Call>
bool observe(Observed& observed, Call call) {
    const auto start = steady_clock::now();
    try {
        call();
        observed.took(steady_clock::now() - start);
        ++observed.successes;
        return true;
    } catch (const StoreUnavailable&) {
        ++observed.unavailable;
    } catch (const std::exception& error) {
        std::lock_guard lock(observed.mutex);
        observed.other_errors.push_back(error.what());
    } catch (...) {
        std::lock_guard lock(observed.mutex);
        observed.other_errors.push_back("unknown exception");
    }
    observed.took(steady_clock::now() - start);
    return false;
}

TEST(PostgresOutage, ServerStopsMidStreamAndComesBackWithoutRestartingTheStore) {
    if (!PrivateServer::possible()) {
        GTEST_SKIP() << "TRADESTORE_TEST_PG_URI names an outside server, which is not ours "
                        "to stop";
    }
    std::unique_ptr<PrivateServer> server;
    try {
        server = std::make_unique<PrivateServer>();
    } catch (const std::exception& error) {
        if (running_in_ci()) FAIL() << error.what();
        GTEST_SKIP() << "no PostgreSQL server to stop and start: " << error.what();
    }

    plugins::PostgresStoreOptions options = store_options(server->uri());
    options.pool.connection.statement_timeout = std::chrono::seconds{5};
    options.pool.connection.connect_timeout = std::chrono::seconds{2};
    options.pool.pool_timeout = std::chrono::seconds{5};
    plugins::PostgresStore store(options);
    store.open();
    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};

    Observed writes;
    Observed reads;
    std::atomic<bool> running{true};
    std::vector<std::thread> threads;
    for (int w = 0; w < 3; ++w) {
        threads.emplace_back([&, w] {
            for (int n = 0; running; ++n) {
                const std::string id = "O-" + std::to_string(w) + "-" + std::to_string(n);
                if (observe(writes, [&] { store.apply(one_trade(id, 1), rules, kToday); })) {
                    std::lock_guard lock(writes.mutex);
                    writes.acknowledged.insert(id);
                }
            }
        });
    }
    threads.emplace_back([&] {
        while (running) {
            observe(reads, [&] { store.get("O-0-0", kToday); });
            observe(reads, [&] { store.statistics(kToday); });
        }
    });

    ASSERT_TRUE(eventually([&] { return writes.successes >= 200; }, milliseconds{20000}));
    server->pause();  // pg_ctl stop -m fast: sessions are terminated mid-transaction

    EXPECT_FALSE(store.healthy());
    EXPECT_THROW(store.apply(one_trade("X-during", 1), rules, kToday), StoreUnavailable);
    EXPECT_THROW(store.get("O-0-0", kToday), StoreUnavailable);
    EXPECT_THROW(store.audit_count(std::nullopt), StoreUnavailable);
    EXPECT_THROW(store.remove("O-0-0", "rest", "r"), StoreUnavailable);
    EXPECT_THROW(store.expire(kToday, "job"), StoreUnavailable);
    EXPECT_THROW(store.claim_job_run("expiry", 1), StoreUnavailable);
    const int failures_before = writes.unavailable;
    EXPECT_TRUE(eventually([&] { return writes.unavailable >= failures_before + 20; },
                           milliseconds{10000}));
    const int successes_while_down = writes.successes;

    server->resume();
    EXPECT_TRUE(eventually([&] { return writes.successes >= successes_while_down + 200; },
                           milliseconds{20000}));
    EXPECT_TRUE(store.healthy());
    running = false;
    for (auto& thread : threads) thread.join();

    std::printf(
        "writes: %d acknowledged, %d unavailable, longest %lld ms; reads: %d ok, "
        "%d unavailable, longest %lld ms\n",
        writes.successes.load(), writes.unavailable.load(),
        static_cast<long long>(writes.longest_call_ms.load()), reads.successes.load(),
        reads.unavailable.load(), static_cast<long long>(reads.longest_call_ms.load()));
    EXPECT_THAT(writes.other_errors, ::testing::IsEmpty());
    EXPECT_THAT(reads.other_errors, ::testing::IsEmpty());
    EXPECT_GT(writes.unavailable.load(), 0);
    EXPECT_GT(reads.unavailable.load(), 0);
    EXPECT_LT(writes.longest_call_ms.load(), 8000) << "a call hung";
    EXPECT_LT(reads.longest_call_ms.load(), 8000) << "a call hung";

    // Every acknowledged trade is stored; every stored trade has exactly its one audit entry
    // (no trade without its audit, no audit without its trade).
    const std::int64_t total = store.statistics(kToday).total_trades;
    std::set<std::string> stored;
    for (const Trade& trade : store.list(0, total + 10, kToday)) stored.insert(trade.trade_id);
    for (const std::string& id : writes.acknowledged) {
        EXPECT_TRUE(stored.count(id)) << id << " was acknowledged but is not stored";
    }
    EXPECT_GE(stored.size(), writes.acknowledged.size());
    EXPECT_EQ(store.audit_count(std::nullopt), total);
    RawConnection raw(server->uri());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM trades t WHERE NOT EXISTS "
                         "(SELECT 1 FROM audit_log a WHERE a.trade_id = t.trade_id)"),
              "0");
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log a WHERE NOT EXISTS "
                         "(SELECT 1 FROM trades t WHERE t.trade_id = a.trade_id)"),
              "0");
    store.close();

    // A store opened while the server is down fails with StoreUnavailable, and opens once it
    // is back. (Here rather than in a test of its own: a server start costs seconds.)
    server->pause();
    plugins::PostgresStore late(options);
    EXPECT_THROW(late.open(), StoreUnavailable);
    EXPECT_FALSE(late.healthy());
    server->resume();
    late.open();
    EXPECT_TRUE(late.healthy());
    EXPECT_EQ(late.apply(one_trade("late", 1), rules, kToday).at(0).outcome, Outcome::Created);
    late.close();
}

}  // namespace
}  // namespace tradestore::pgtest
