// The read-replica harness itself (the postgres_replica fixture, scripts/pg-test-server.sh
// start-replica), through libpq alone: what the primary commits reaches the replica, the
// replica is a hot standby in recovery, pausing its replay holds back new rows until it is
// resumed, and a replica stopped and started again catches up. Each test works in a schema of
// its own on the primary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "eventually.h"
#include "pg_test_support.h"

namespace tradestore::pgtest {
namespace {

using std::chrono::seconds;
using test_support::eventually;

// A schema of its own on the primary, dropped (on the primary, whence the drop streams) at the
// end.
class ScratchSchema {
  public:
    explicit ScratchSchema(const std::string& primary_uri)
        : primary_uri_(primary_uri), name_(next_name()) {
        RawConnection(primary_uri_).execute("CREATE SCHEMA " + name_);
    }
    ~ScratchSchema() {
        try {
            RawConnection(primary_uri_).execute("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
        } catch (const std::exception& error) {
            ADD_FAILURE() << "cannot drop schema " << name_ << ": " << error.what();
        }
    }
    ScratchSchema(const ScratchSchema&) = delete;
    ScratchSchema& operator=(const ScratchSchema&) = delete;

    std::string table(const std::string& name) const { return name_ + "." + name; }

  private:
    static std::string next_name() {
        static std::atomic<int> counter{0};
        return "replica_harness_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    }

    std::string primary_uri_;
    std::string name_;
};

// The count of rows in `table` on `connection`, or -1 while the table is not there yet.
long long row_count(RawConnection& connection, const std::string& table) {
    if (connection.scalar("SELECT to_regclass($1) IS NOT NULL", {table}) != "t") return -1;
    return std::stoll(connection.scalar("SELECT count(*) FROM " + table));
}

class PostgresReplicaHarness : public ReplicaTest {
  protected:
    void SetUp() override {
        ReplicaTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        primary_ = std::make_unique<RawConnection>(servers().primary_uri);
        replica_ = std::make_unique<RawConnection>(servers().replica_uri);
        schema_ = std::make_unique<ScratchSchema>(servers().primary_uri);
    }

    RawConnection& primary() { return *primary_; }
    RawConnection& replica() { return *replica_; }

    // Creates the table (id int PRIMARY KEY, note text) with row 1 on the primary and waits
    // until the replica has it; returns its qualified name.
    std::string streamed_table(const std::string& name) {
        const std::string table = schema_->table(name);
        primary().execute("CREATE TABLE " + table + " (id int PRIMARY KEY, note text)");
        primary().execute("INSERT INTO " + table + " VALUES (1, 'from the primary')");
        EXPECT_TRUE(eventually([&] { return row_count(replica(), table) == 1; }, seconds{10}))
            << table << " did not reach the replica";
        return table;
    }

  private:
    std::unique_ptr<RawConnection> primary_;
    std::unique_ptr<RawConnection> replica_;
    std::unique_ptr<ScratchSchema> schema_;
};

TEST_F(PostgresReplicaHarness, TheReplicaIsAHotStandbyAndThePrimaryIsNot) {
    EXPECT_EQ(replica().scalar("SELECT pg_is_in_recovery()"), "t");
    EXPECT_EQ(primary().scalar("SELECT pg_is_in_recovery()"), "f");
    EXPECT_EQ(replica().scalar("SHOW transaction_read_only"), "on");
    // It streams from that primary, as its walsender there and its walreceiver show.
    EXPECT_EQ(
        primary().scalar("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"),
        "1");
    EXPECT_EQ(replica().scalar("SELECT status FROM pg_stat_wal_receiver"), "streaming");
}

TEST_F(PostgresReplicaHarness, ATableAndARowWrittenOnThePrimaryAppearOnTheReplica) {
    const std::string table = streamed_table("streamed");
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(replica().scalar("SELECT note FROM " + table + " WHERE id = 1"), "from the primary");
    EXPECT_TRUE(wait_for_replay(servers()));

    // The replica takes no writes.
    EXPECT_THROW(replica().execute("INSERT INTO " + table + " VALUES (2, 'on the replica')"),
                 std::runtime_error);
}

TEST_F(PostgresReplicaHarness, PausedReplayHoldsBackNewRowsUntilResumed) {
    const std::string table = streamed_table("paused");
    ASSERT_FALSE(HasFailure());
    {
        const ReplayPause pause(servers().replica_uri);
        primary().execute("INSERT INTO " + table + " VALUES (2, 'while paused')");
        const std::string written = primary().scalar("SELECT pg_current_wal_lsn()");
        // The replica has received the row's WAL, and stopped replaying before it.
        ASSERT_TRUE(eventually(
            [&] {
                return replica().scalar("SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn",
                                        {written}) == "t" &&
                       replica().scalar("SELECT pg_get_wal_replay_pause_state()") == "paused";
            },
            seconds{10}));
        EXPECT_EQ(replica().scalar("SELECT pg_last_wal_replay_lsn() < $1::pg_lsn", {written}), "t");
        EXPECT_EQ(row_count(replica(), table), 1);
        EXPECT_FALSE(wait_for_replay(servers(), std::chrono::milliseconds{300}));
        EXPECT_EQ(row_count(replica(), table), 1);
    }  // resumed

    EXPECT_TRUE(eventually([&] { return row_count(replica(), table) == 2; }, seconds{10}));
    EXPECT_EQ(replica().scalar("SELECT pg_get_wal_replay_pause_state()"), "not paused");
    EXPECT_TRUE(wait_for_replay(servers()));
}

// The script's pause and resume on the replica: while it is down the primary goes on
// writing; resume returns once it has reconnected and replayed what it missed (its slot kept it).
TEST_F(PostgresReplicaHarness, AStoppedReplicaRestartsAndCatchesUp) {
    const std::string table = streamed_table("restarted");
    ASSERT_FALSE(HasFailure());
    pause_replica_server();
    EXPECT_THROW(RawConnection{servers().replica_uri}, std::runtime_error);
    primary().execute("INSERT INTO " + table +
                      " SELECT n, 'while the replica was down' FROM generate_series(2, 300000) n");
    resume_replica_server();

    RawConnection restarted(servers().replica_uri);
    EXPECT_EQ(row_count(restarted, table), 300000);  // no polling: resume waited for it
    EXPECT_EQ(restarted.scalar("SELECT pg_is_in_recovery()"), "t");
    EXPECT_TRUE(eventually(
        [&] { return restarted.scalar("SELECT status FROM pg_stat_wal_receiver") == "streaming"; },
        seconds{10}));
}

}  // namespace
}  // namespace tradestore::pgtest
