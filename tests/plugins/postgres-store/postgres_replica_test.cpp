// postgres-store with a streaming replica (the postgres_replica fixture: a primary and a hot
// standby made with pg_basebackup -R). The oracle is what the primary holds: a read through
// the replica may be older only while the replica lags within max_replica_lag, a read that
// names a write's commit position never is, and no read fails while the replica goes away
// and comes back.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "eventually.h"
#include "pg_test_support.h"
#include "trade_builders.h"

namespace tradestore::pgtest {
namespace {

using namespace std::chrono_literals;
using test_support::eventually;

constexpr Date kToday = contract::kToday;

Batch version_of(const std::string& id, std::int64_t version) {
    return test_support::batch_of(
        test_support::trade_of(id, version, kToday, "B" + std::to_string(version)));
}

// A schema of the test's own on the primary (replicated to the standby), and a store on it
// that reads from the standby.
class PostgresReplica : public ReplicaTest {
  protected:
    void SetUp() override {
        ReplicaTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        std::random_device random;
        schema_ = "replica_" + std::to_string(random()) + std::to_string(random());
        application_ = "replica-test-" + schema_;
        RawConnection(servers().primary_uri).execute("CREATE SCHEMA " + schema_);
    }
    void TearDown() override {
        store_.reset();
        if (!schema_.empty() && !IsSkipped()) {
            resume_replay();
            RawConnection(servers().primary_uri).execute("DROP SCHEMA " + schema_ + " CASCADE");
        }
    }

    plugins::PostgresStore& open_store(std::chrono::milliseconds max_lag, bool fallback = true) {
        plugins::PostgresStoreOptions options =
            store_options(with_search_path(servers().primary_uri, schema_));
        options.pool.connection.application_name = application_;
        plugins::pg::PoolOptions replica = options.pool;
        replica.connection.uri = with_search_path(servers().replica_uri, schema_);
        replica.connection.connect_timeout = 2s;
        options.replicas.replicas.push_back(replica);
        options.replicas.max_lag = max_lag;
        options.replicas.check_interval = 50ms;
        options.read_fallback = fallback;
        store_ = std::make_unique<plugins::PostgresStore>(options);
        store_->open();
        EXPECT_TRUE(wait_for_replay(servers()));  // the schema is on the standby
        return *store_;
    }

    bool in_rotation() const { return store_->replica_states().at(0).in_rotation; }
    void pause_replay() {
        RawConnection(servers().replica_uri).execute("SELECT pg_wal_replay_pause()");
    }
    void resume_replay() {
        RawConnection(servers().replica_uri).execute("SELECT pg_wal_replay_resume()");
    }
    // Sessions of this test's store on a server, by application_name.
    int sessions_on(const std::string& uri) const {
        return std::stoi(RawConnection(uri).scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", {application_}));
    }
    std::int64_t version_read(StoreReader& reader, const std::string& id) {
        const std::optional<Trade> trade = reader.get(id, kToday);
        return trade ? trade->version : 0;
    }

    std::string schema_;
    std::string application_;
    std::unique_ptr<plugins::PostgresStore> store_;
};

TEST_F(PostgresReplica, ReadsGoToTheReplicaAndAReadNamingACommitSeesIt) {
    plugins::PostgresStore& store = open_store(1h);
    const std::uint64_t first = store.apply(version_of("T1", 1), {}, kToday).at(0).commit_position;
    EXPECT_GT(first, 0u);
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));
    ASSERT_TRUE(wait_for_replay(servers()));
    EXPECT_EQ(version_read(store, "T1"), 1);

    // Replay stops: the replica keeps serving (its lag stays under an hour), so a plain read
    // shows the version before the write, and only a read naming the write's commit sees it.
    pause_replay();
    const ItemResult second = store.apply(version_of("T1", 2), {}, kToday).at(0);
    ASSERT_EQ(second.outcome, Outcome::Updated);
    EXPECT_GT(second.commit_position, first);
    EXPECT_EQ(version_read(store, "T1"), 1);  // served by the replica, which is behind
    EXPECT_EQ(store.list_by_book("B1", kToday).size(), 1u);
    EXPECT_TRUE(in_rotation());
    const std::unique_ptr<StoreReader> mine = store.reader_after(second.commit_position);
    EXPECT_EQ(version_read(*mine, "T1"), 2);
    EXPECT_EQ(mine->list_by_book("B2", kToday).size(), 1u);
    ASSERT_NE(mine->trade_history(), nullptr);
    EXPECT_EQ(mine->trade_history()->history({"T1", 0, 10, {}, {}}).size(), 2u);
    // A commit the replica has replayed is served there: the older position reads version 1.
    EXPECT_EQ(version_read(*store.reader_after(first), "T1"), 1);
    EXPECT_GT(sessions_on(servers().replica_uri), 0);

    resume_replay();
    EXPECT_TRUE(eventually([&] { return version_read(store, "T1") == 2; }, 10s));
}

TEST_F(PostgresReplica, AReplicaLaggingPastTheBoundLeavesTheRotationAndComesBack) {
    plugins::PostgresStore& store = open_store(300ms);
    store.apply(version_of("T1", 1), {}, kToday);
    ASSERT_TRUE(wait_for_replay(servers()));
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));

    pause_replay();
    store.apply(version_of("T1", 2), {}, kToday);
    // Out once the primary has been past the replica for longer than the bound; then every
    // read is the primary's, so none shows the replica's version 1.
    ASSERT_TRUE(eventually([&] { return !in_rotation(); }, 10s));
    const ReplicaState out = store.replica_states().at(0);
    EXPECT_TRUE(out.reachable);
    ASSERT_TRUE(out.lag_seconds.has_value());
    EXPECT_GT(*out.lag_seconds, 0.3);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(version_read(store, "T1"), 2);

    resume_replay();
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));
    EXPECT_LE(*store.replica_states().at(0).lag_seconds, 0.3);
    EXPECT_EQ(version_read(store, "T1"), 2);
}

TEST_F(PostgresReplica, WithoutFallbackALaggingReplicaMeansUnavailableNotStale) {
    plugins::PostgresStore& store = open_store(300ms, false);
    store.apply(version_of("T1", 1), {}, kToday);
    ASSERT_TRUE(wait_for_replay(servers()));
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));
    EXPECT_EQ(version_read(store, "T1"), 1);

    pause_replay();
    const std::uint64_t position =
        store.apply(version_of("T1", 2), {}, kToday).at(0).commit_position;
    // Behind the commit asked for: not served by the replica, and not by the primary either.
    EXPECT_THROW(store.reader_after(position)->get("T1", kToday), StoreUnavailable);
    ASSERT_TRUE(eventually([&] { return !in_rotation(); }, 10s));
    EXPECT_THROW(store.get("T1", kToday), StoreUnavailable);
    EXPECT_THROW(store.statistics(kToday), StoreUnavailable);

    resume_replay();
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));
    EXPECT_EQ(version_read(store, "T1"), 2);
}

// The replica is stopped and started again while four threads read: no read fails (the
// primary serves them while the replica is away), every read sees the one committed version,
// and the replica comes back into the rotation by itself.
TEST_F(PostgresReplica, TheReplicaStopsAndStartsUnderReadLoadWithoutAFailedRead) {
    plugins::PostgresStore& store = open_store(5s);
    for (int i = 0; i < 20; ++i) store.apply(version_of("T" + std::to_string(i), 1), {}, kToday);
    ASSERT_TRUE(wait_for_replay(servers()));
    ASSERT_TRUE(eventually([&] { return in_rotation(); }, 10s));

    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, wrong{0};
    std::vector<std::string> errors;
    std::mutex errors_mutex;
    std::vector<std::thread> readers;
    for (int r = 0; r < 4; ++r) {
        readers.emplace_back([&, r] {
            for (int i = r; !stop; ++i) {
                try {
                    const std::string id = "T" + std::to_string(i % 20);
                    if (version_read(store, id) != 1) ++wrong;
                    if (store.list_by_book("B1", kToday).size() != 20) ++wrong;
                    ++reads;
                } catch (const std::exception& error) {
                    std::lock_guard lock(errors_mutex);
                    errors.emplace_back(error.what());
                }
            }
        });
    }
    const auto reads_reach = [&](int count) {
        return eventually([&] { return reads.load() >= count; }, 30s);
    };
    EXPECT_TRUE(reads_reach(50));
    pause_replica_server();
    EXPECT_TRUE(eventually([&] { return !in_rotation(); }, 10s));
    EXPECT_TRUE(reads_reach(reads.load() + 100));  // the primary serves them meanwhile
    resume_replica_server();
    EXPECT_TRUE(eventually([&] { return in_rotation(); }, 20s));
    EXPECT_TRUE(reads_reach(reads.load() + 100));
    stop = true;
    for (std::thread& reader : readers) reader.join();

    EXPECT_TRUE(errors.empty()) << errors.size() << " failed reads, the first: " << errors.front();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_GT(sessions_on(servers().replica_uri), 0);  // reading there again
}

}  // namespace
}  // namespace tradestore::pgtest
