// Parts of the read-replica support that need no server: the lag measure, the commit
// position's notation, replica names and the settings.
#include <gtest/gtest.h>
#include <tradestore/read_replicas.h>

#include <chrono>
#include <map>
#include <string>

#include "postgres_store_settings.h"
#include "replica_lag.h"
#include "replica_set.h"

namespace tradestore::plugins {
namespace {

using namespace std::chrono_literals;
using pg::ReplicaLag;

TEST(PostgresReplicaLag, IsHowLongAgoThePrimaryWasFirstSeenPastWhatTheReplicaReplayed) {
    ReplicaLag lag(60s);
    const ReplicaLag::Clock::time_point t0{};
    EXPECT_FALSE(lag.lag(0, t0).has_value());  // nothing known of the primary yet
    lag.primary_at(t0, 100);
    lag.primary_at(t0 + 1s, 100);  // idle: not a new sample
    lag.primary_at(t0 + 2s, 200);
    lag.primary_at(t0 + 3s, 300);
    EXPECT_EQ(lag.lag(300, t0 + 4s), ReplicaLag::Clock::duration::zero());
    EXPECT_EQ(lag.lag(350, t0 + 4s), ReplicaLag::Clock::duration::zero());
    EXPECT_EQ(lag.lag(250, t0 + 4s), ReplicaLag::Clock::duration(1s));  // behind since t0+3s
    EXPECT_EQ(lag.lag(150, t0 + 4s), ReplicaLag::Clock::duration(2s));
    EXPECT_EQ(lag.lag(100, t0 + 4s), ReplicaLag::Clock::duration(2s));
    EXPECT_EQ(lag.lag(99, t0 + 4s), ReplicaLag::Clock::duration(4s));
}

TEST(PostgresReplicaLag, AnIdlePrimaryAddsNoLagAndOldSamplesGo) {
    ReplicaLag lag(10s);
    const ReplicaLag::Clock::time_point t0{};
    lag.primary_at(t0, 100);
    for (int s = 1; s <= 30; ++s) lag.primary_at(t0 + std::chrono::seconds{s}, 100);
    EXPECT_EQ(lag.lag(100, t0 + 30s), ReplicaLag::Clock::duration::zero());
    lag.primary_at(t0 + 31s, 200);
    lag.primary_at(t0 + 45s, 300);  // 100 and 200 are past the window; the newest stays
    // Behind everything still kept: at least since the oldest sample kept (t0+45s).
    EXPECT_EQ(lag.lag(50, t0 + 50s), ReplicaLag::Clock::duration(5s));
}

TEST(CommitPosition, IsWrittenAndReadInPostgresNotation) {
    EXPECT_EQ(format_commit_position(0x16B374D848ull), "16/B374D848");
    EXPECT_EQ(format_commit_position(0x16B3748ull), "0/16B3748");
    EXPECT_EQ(parse_commit_position("16/B374D848"), 0x16B374D848ull);
    EXPECT_EQ(parse_commit_position("0/16b3748"), 0x16B3748ull);
    EXPECT_EQ(parse_commit_position("FFFFFFFF/FFFFFFFF"), ~0ull);
    for (const char* bad : {"", "/", "0/", "/1", "16B374D848", "1/2/3", "G/1", "1/ 2", "+1/2",
                            "123456789/0", "-1/2", "0x1/2"}) {
        EXPECT_FALSE(parse_commit_position(bad).has_value()) << bad;
    }
}

TEST(PostgresReplicaName, IsHostAndPortWithoutCredentials) {
    EXPECT_EQ(pg::replica_name("postgresql://reader:secret@replica-1:5433/trades"),
              "replica-1:5433");
    EXPECT_EQ(pg::replica_name("host=10.0.0.7 user=reader password=secret"), "10.0.0.7:5432");
    EXPECT_EQ(pg::replica_name("postgresql:///trades?host=/run/pg"), "/run/pg:5432");
}

TEST(PostgresStoreSettings, ReadUriIsAListOfReplicasWithTheirOwnBounds) {
    std::map<std::string, std::string, std::less<>> values;
    for (const SettingSpec& spec : postgres_store_settings()) values[spec.key] = spec.default_value;
    values["uri"] = "postgresql://w@primary/trades";
    EXPECT_TRUE(postgres_store_options(Settings(values)).replicas.replicas.empty());

    values["read_uri"] = "postgresql://r@replica-1/trades, postgresql://r@replica-2:5433/trades";
    values["max_replica_lag"] = "2s";
    values["read_fallback"] = "false";
    const PostgresStoreOptions options = postgres_store_options(Settings(values));
    ASSERT_EQ(options.replicas.replicas.size(), 2u);
    EXPECT_EQ(options.replicas.replicas[1].connection.uri, "postgresql://r@replica-2:5433/trades");
    EXPECT_EQ(options.replicas.replicas[1].pool_size, options.pool.pool_size);
    EXPECT_EQ(options.replicas.max_lag, 2s);
    EXPECT_EQ(options.replicas.check_interval, 1s);
    EXPECT_FALSE(options.read_fallback);
}

}  // namespace
}  // namespace tradestore::plugins
