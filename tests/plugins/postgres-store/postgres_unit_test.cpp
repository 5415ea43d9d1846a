// Parts of the PostgreSQL store that need no server: array literals, lock keys, settings,
// and failing fast when the server cannot be reached.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "array_literal.h"
#include "commit_outcome.h"
#include "connection.h"
#include "postgres_store.h"
#include "postgres_store_settings.h"
#include "sqlstate.h"

namespace tradestore::plugins {
namespace {

using pg::ArrayLiteral;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(PostgresArrayLiteral, QuotesEveryTextElementAndEscapesQuotesAndBackslashes) {
    ArrayLiteral array;
    array.add("plain").add("a\"b").add("back\\slash").add("").add("NULL").add("{,}").add(" x ");
    EXPECT_EQ(array.size(), 7u);
    EXPECT_EQ(array.take(), R"({"plain","a\"b","back\\slash","","NULL","{,}"," x "})");
    EXPECT_TRUE(array.empty());
    EXPECT_EQ(array.take(), "{}");
}

TEST(PostgresArrayLiteral, KeepsNonAsciiBytesVerbatim) {
    ArrayLiteral array;
    array.add("\xc3\xbc\xe6\x97\xa5\xf0\x9f\x98\x80").add("'; DROP TABLE trades;--");
    EXPECT_EQ(array.take(),
              "{\"\xc3\xbc\xe6\x97\xa5\xf0\x9f\x98\x80\",\"'; DROP TABLE trades;--\"}");
}

TEST(PostgresArrayLiteral, IntegersAndNulls) {
    ArrayLiteral array;
    array.add(std::int64_t{1}).add(std::int64_t{-9223372036854775807 - 1}).add_null();
    array.add(std::optional<std::int64_t>{}).add(std::optional<std::int64_t>{7});
    EXPECT_EQ(array.take(), "{1,-9223372036854775808,NULL,NULL,7}");
}

// A value PostgreSQL cannot hold is refused data, as the server's own refusals are.
TEST(PostgresArrayLiteral, RefusesNulBytes) {
    ArrayLiteral array;
    EXPECT_THROW(array.add(std::string_view("a\0b", 3)), StoreRefused);
    pg::Params params;
    EXPECT_THROW(params.text(std::string("a\0b", 3)), StoreRefused);
}

// After a restart a transaction id that never reached the WAL may be another transaction's:
// only "committed" needs a look at the rows, and nothing is in progress from before it.
TEST(PostgresCommitVerdict, ARestartMakesOnlyCommittedAmbiguous) {
    using pg::commit_verdict;
    using pg::CommitVerdict;
    EXPECT_EQ(commit_verdict("committed", false), CommitVerdict::Committed);
    EXPECT_EQ(commit_verdict("committed", true), CommitVerdict::CheckEvidence);
    EXPECT_EQ(commit_verdict("aborted", false), CommitVerdict::Aborted);
    EXPECT_EQ(commit_verdict("aborted", true), CommitVerdict::Aborted);
    EXPECT_EQ(commit_verdict("unassigned", false), CommitVerdict::Aborted);
    EXPECT_EQ(commit_verdict("unassigned", true), CommitVerdict::Aborted);
    EXPECT_EQ(commit_verdict("in progress", false), CommitVerdict::AskAgain);
    EXPECT_EQ(commit_verdict("in progress", true), CommitVerdict::Aborted);
    EXPECT_EQ(commit_verdict("forgotten", false), CommitVerdict::Unknown);
    EXPECT_EQ(commit_verdict("forgotten", true), CommitVerdict::Unknown);
}

TEST(PostgresSqlstate, TransientFailuresAreWorthARetry) {
    using pg::ErrorKind;
    for (const char* sqlstate : {"", "08000", "08003", "08006", "57P01", "57P02", "57P03"}) {
        EXPECT_EQ(pg::classify(sqlstate), ErrorKind::SessionEnded) << sqlstate;
    }
    for (const char* sqlstate :
         {"40001", "40P01", "55P03", "57014", "53000", "53100", "53200", "53300", "53400"}) {
        EXPECT_EQ(pg::classify(sqlstate), ErrorKind::Transient) << sqlstate;
    }
}

TEST(PostgresSqlstate, DataTheServerCannotHoldIsRefused) {
    for (const char* sqlstate : {"22000", "22001", "22003", "22021", "22P05", "23505", "23502",
                                 "23514", "54000", "54001", "54011"}) {
        EXPECT_EQ(pg::classify(sqlstate), pg::ErrorKind::Refused) << sqlstate;
    }
}

TEST(PostgresSqlstate, EverythingElseIsNeitherTransientNorRefused) {
    // A missing right, a missing table or column, a syntax error, an internal error, a
    // transaction already aborted: a bug or a setup problem, not the data.
    for (const char* sqlstate :
         {"42501", "42P01", "42703", "42601", "XX000", "25P02", "0A000", "40002", "P0001"}) {
        EXPECT_EQ(pg::classify(sqlstate), pg::ErrorKind::Other) << sqlstate;
    }
}

TEST(PostgresLockKey, IsFnv1a64AsASignedBigint) {
    EXPECT_EQ(pg::lock_key(""), static_cast<std::int64_t>(0xcbf29ce484222325ull));
    EXPECT_EQ(pg::lock_key("a"), static_cast<std::int64_t>(0xaf63dc4c8601ec8cull));
    EXPECT_EQ(pg::lock_key("foobar"), static_cast<std::int64_t>(0x85944171f73967e8ull));
    EXPECT_NE(pg::lock_key("T1"), pg::lock_key("T2"));
}

Settings defaults_with(std::map<std::string, std::string, std::less<>> overrides) {
    std::map<std::string, std::string, std::less<>> values;
    for (const SettingSpec& spec : postgres_store_settings()) {
        if (!spec.default_value.empty()) values[spec.key] = spec.default_value;
    }
    for (auto& [key, value] : overrides) values[key] = value;
    return Settings(std::move(values));
}

TEST(PostgresStoreSettings, UriIsARequiredSecret) {
    const auto specs = postgres_store_settings();
    const auto uri = std::find_if(specs.begin(), specs.end(),
                                  [](const SettingSpec& spec) { return spec.key == "uri"; });
    ASSERT_NE(uri, specs.end());
    EXPECT_EQ(uri->type, SettingType::Secret);
    EXPECT_TRUE(uri->required);
    EXPECT_THROW(postgres_store_options(defaults_with({{"uri", ""}})), std::invalid_argument);
}

TEST(PostgresStoreSettings, DefaultsFollowTheOriginalDesign) {
    const auto options =
        postgres_store_options(defaults_with({{"uri", "postgresql://u@h/db?sslmode=require"}}));
    EXPECT_EQ(options.pool.connection.uri, "postgresql://u@h/db?sslmode=require");
    EXPECT_EQ(options.pool.pool_size, 10u);
    EXPECT_EQ(options.pool.max_overflow, 20u);
    EXPECT_TRUE(options.pool.pre_ping);
    EXPECT_EQ(options.pool.pool_timeout, std::chrono::seconds{30});
    EXPECT_EQ(options.pool.connection.statement_timeout, std::chrono::seconds{30});
    EXPECT_EQ(options.pool.connection.connect_timeout, std::chrono::seconds{5});
    EXPECT_EQ(options.pool.connection.application_name, "tradestored");
    EXPECT_EQ(options.commit_outcome_timeout, std::chrono::seconds{5});
}

TEST(PostgresStoreSettings, ValuesAreChecked) {
    const std::string uri = "host=localhost";
    EXPECT_THROW(postgres_store_options(defaults_with({{"uri", uri}, {"pool_size", "0"}})),
                 std::invalid_argument);
    EXPECT_THROW(postgres_store_options(defaults_with({{"uri", uri}, {"max_overflow", "-1"}})),
                 std::invalid_argument);
    EXPECT_THROW(
        postgres_store_options(defaults_with({{"uri", uri}, {"connect_timeout", "500ms"}})),
        std::invalid_argument);
    const auto options = postgres_store_options(defaults_with({{"uri", uri},
                                                               {"pool_size", "3"},
                                                               {"max_overflow", "0"},
                                                               {"pre_ping", "false"},
                                                               {"statement_timeout", "250ms"},
                                                               {"connect_timeout", "2s"},
                                                               {"pool_timeout", "1s"},
                                                               {"commit_outcome_timeout", "2s"}}));
    EXPECT_EQ(options.pool.pool_size, 3u);
    EXPECT_EQ(options.pool.max_overflow, 0u);
    EXPECT_FALSE(options.pool.pre_ping);
    EXPECT_EQ(options.pool.connection.statement_timeout, std::chrono::milliseconds{250});
    EXPECT_EQ(options.pool.connection.connect_timeout, std::chrono::seconds{2});
    EXPECT_EQ(options.pool.pool_timeout, std::chrono::seconds{1});
    EXPECT_EQ(options.commit_outcome_timeout, std::chrono::seconds{2});
}

TEST(PostgresStoreSettings, TheAuditFloorNeedsTheSchemaOwner) {
    const std::string uri = "host=localhost user=writer";
    const auto single_role = postgres_store_options(defaults_with({{"uri", uri}}));
    EXPECT_EQ(single_role.schema_owner_uri, "");
    EXPECT_EQ(single_role.audit_min_retention_days, 0);
    try {
        postgres_store_options(defaults_with({{"uri", uri}, {"audit_min_retention_days", "90"}}));
        ADD_FAILURE() << "a floor without schema_owner_uri was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), HasSubstr("audit_min_retention_days needs schema_owner_uri"));
    }
    const auto hardened =
        postgres_store_options(defaults_with({{"uri", uri},
                                              {"schema_owner_uri", "host=localhost user=owner"},
                                              {"audit_min_retention_days", "90"}}));
    EXPECT_EQ(hardened.schema_owner_uri, "host=localhost user=owner");
    EXPECT_EQ(hardened.audit_min_retention_days, 90);
}

// Port 1 on loopback: nothing listens, the connection is refused at once.
PostgresStoreOptions unreachable() {
    PostgresStoreOptions options;
    options.pool.connection.uri = "postgresql://nobody@127.0.0.1:1/none";
    options.pool.connection.connect_timeout = std::chrono::seconds{2};
    return options;
}

TEST(PostgresStoreUnreachable, OpenFailsFastWithStoreUnavailable) {
    PostgresStore store(unreachable());
    const auto start = std::chrono::steady_clock::now();
    try {
        store.open();
        FAIL() << "open() succeeded without a server";
    } catch (const StoreUnavailable& error) {
        EXPECT_THAT(error.what(), HasSubstr("cannot connect"));
        EXPECT_THAT(error.what(), Not(HasSubstr("nobody@")));  // no URI in messages
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{3});
    EXPECT_FALSE(store.healthy());
}

TEST(PostgresStoreUnreachable, CallsBeforeOpenAreUnavailable) {
    PostgresStore store(unreachable());
    EXPECT_THROW(store.get("T1", Date{}), StoreUnavailable);
    Batch batch;
    batch.positions.push_back({"kafka", "trades", 0, 1});
    EXPECT_THROW(store.apply(batch, {}, Date{}), StoreUnavailable);
    EXPECT_FALSE(store.healthy());
    EXPECT_EQ(store.open_connections(), 0u);
}

}  // namespace
}  // namespace tradestore::plugins
