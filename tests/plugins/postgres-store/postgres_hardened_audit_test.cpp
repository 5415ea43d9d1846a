// The hardened PostgreSQL setup: the schema belongs to an owner role (schema_owner_uri) that
// migrates it and grants the daemon's writer role (uri) only what the store needs. As the
// writer, the store ingests, ships (marks audit rows shipped) and prunes through the
// prune_shipped_audit function, while UPDATE of audit contents, DELETE and TRUNCATE of audit
// rows and any change of the retention floor are refused with "permission denied"; the
// function never deletes rows younger than the floor, whatever cut-off it is given.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <random>

#include "pg_test_support.h"

namespace tradestore::pgtest {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr Date kToday = contract::kToday;

Batch trades(std::initializer_list<const char*> ids, std::int64_t version = 1) {
    Batch batch;
    for (const char* id : ids) {
        Trade trade;
        trade.trade_id = id;
        trade.version = version;
        trade.counter_party_id = "CP";
        trade.book_id = "B";
        trade.maturity_date = kToday + std::chrono::days{10};
        trade.created_date = kToday;
        batch.candidates.push_back({std::move(trade), "rest", id, {}});
    }
    return batch;
}

std::string unique_suffix() {
    static std::atomic<int> counter{0};
    std::random_device random;
    return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(random() % 100000);
}

// An owner role with its own schema, and a writer role that can log in and nothing else.
class HardenedAudit : public ::testing::Test {
  protected:
    void SetUp() override {
        server_ = server_uri().value_or("");
        ASSERT_FALSE(server_.empty());
        const std::string suffix = unique_suffix();
        owner_ = "ts_owner_" + suffix;
        writer_ = "ts_writer_" + suffix;
        schema_ = "ts_hardened_" + suffix;
        RawConnection admin(server_);
        admin.execute("CREATE ROLE " + owner_ + " LOGIN");
        admin.execute("CREATE ROLE " + writer_ + " LOGIN");
        admin.execute("CREATE SCHEMA " + schema_ + " AUTHORIZATION " + owner_);
    }

    void TearDown() override {
        if (owner_.empty()) return;
        try {
            RawConnection admin(server_);
            admin.execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
            admin.execute("DROP OWNED BY " + writer_ + ", " + owner_);
            admin.execute("DROP ROLE IF EXISTS " + writer_);
            admin.execute("DROP ROLE IF EXISTS " + owner_);
        } catch (const std::exception& error) {
            ADD_FAILURE() << "cleanup: " << error.what();
        }
    }

    std::string uri_of(const std::string& role) const {
        return with_search_path(with_parameter(server_, "user", role), schema_);
    }

    plugins::PostgresStoreOptions hardened(std::int64_t floor_days) const {
        plugins::PostgresStoreOptions options = store_options(uri_of(writer_));
        options.schema_owner_uri = uri_of(owner_);
        options.audit_min_retention_days = floor_days;
        return options;
    }

    // The message of what `sql` threw as the writer ("" when it ran).
    std::string as_writer(const std::string& sql) const {
        try {
            RawConnection(uri_of(writer_)).execute(sql);
        } catch (const std::exception& error) {
            return error.what();
        }
        return "";
    }

    std::string server_, owner_, writer_, schema_;
};

TEST_F(HardenedAudit, TheRolesAreWhoTheyClaim) {
    EXPECT_EQ(RawConnection(uri_of(writer_)).scalar("SELECT current_user"), writer_);
    EXPECT_EQ(RawConnection(uri_of(owner_)).scalar("SELECT current_user"), owner_);
}

TEST_F(HardenedAudit, TheWriterIngestsShipsAndPrunesButCannotChangeOrDeleteAuditRows) {
    plugins::PostgresStore store(hardened(1));
    ASSERT_NO_THROW(store.open());

    // Ingestion, deletion and expiry as the writer.
    const auto results = store.apply(trades({"H1", "H2", "H3"}, 2), {}, kToday);
    ASSERT_EQ(results.size(), 3U);
    const auto lower = store.apply(trades({"H1", "H2"}, 1), {}, kToday);
    EXPECT_EQ(lower.at(0).outcome, Outcome::Rejected);
    EXPECT_TRUE(store.remove("H3", "rest", "del-1"));
    EXPECT_EQ(store.expire(kToday + std::chrono::days{30}, "job"), 2);
    EXPECT_TRUE(store.claim_job_run("expiry", 1));
    EXPECT_EQ(store.audit_count(std::nullopt), 8);
    HistoryQuery versions;
    versions.trade_id = "H3";
    EXPECT_EQ(store.history(versions).size(), 2U);  // created, deleted
    versions.trade_id = "H1";
    EXPECT_EQ(store.history(versions).size(), 2U);  // created, expired

    // The writer cannot alter or remove audit or history rows, nor the floor, nor the schema.
    for (const std::string sql :
         {"UPDATE audit_log SET message = 'nothing happened'",
          "UPDATE audit_log SET \"timestamp\" = now() - interval '10 days'",
          "UPDATE audit_log SET shipped = true, status = 'success'", "DELETE FROM audit_log",
          "TRUNCATE audit_log", "UPDATE audit_retention SET min_age = '0'",
          "UPDATE audit_log SET book_id = 'B-X', recorded_at = now()",
          "CREATE TABLE audit_log_copy (id int)"}) {
        EXPECT_THAT(as_writer(sql), HasSubstr("permission denied")) << sql;
    }
    for (const std::string sql :
         {"DROP TABLE audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL",
          "ALTER FUNCTION prune_shipped_audit(timestamptz, bigint) SET search_path = public"}) {
        EXPECT_THAT(as_writer(sql), HasSubstr("must be owner")) << sql;
    }
    // Control: the same role can read them, all it needs besides the outbox marker.
    EXPECT_EQ(as_writer("SELECT count(*) FROM audit_log"), "");

    // Shipping: read the backlog, mark it shipped.
    const auto backlog = store.unshipped_audit(100);
    ASSERT_EQ(backlog.size(), 8U);
    std::vector<std::int64_t> ids;
    for (const AuditEntry& entry : backlog) ids.push_back(entry.id);
    store.mark_audit_shipped(ids);
    EXPECT_TRUE(store.unshipped_audit(100).empty());

    // Retention: everything is younger than the one-day floor, so nothing goes, whatever
    // the cut-off, through the store or calling the function directly.
    EXPECT_EQ(store.prune_shipped_audit(Timestamp::max()), 0);
    EXPECT_EQ(
        RawConnection(uri_of(writer_)).scalar("SELECT prune_shipped_audit('infinity', 1000000)"),
        "0");
    // Every row becomes two days old (as the owner: only it can); the two rejections go, the
    // six version entries (the trades' history) stay.
    RawConnection owner(uri_of(owner_));
    owner.execute("UPDATE audit_log SET \"timestamp\" = now() - interval '2 days'");
    EXPECT_EQ(store.prune_shipped_audit(Timestamp::max()), 2);
    EXPECT_EQ(store.audit_count(std::nullopt), 6);
    EXPECT_EQ(owner.scalar("SELECT count(*) FROM audit_log WHERE status = 'failed'"), "0");
    EXPECT_EQ(store.prune_shipped_audit(Timestamp::max()), 0);
    store.close();
}

// History retention goes through the owner's function prune_history, under the same floor:
// the writer cannot delete history rows itself (above), and what is younger than the floor
// stays whatever the cut-off.
TEST_F(HardenedAudit, HistoryRetentionGoesThroughTheOwnersFunctionAndItsFloor) {
    plugins::PostgresStore store(hardened(1));
    ASSERT_NO_THROW(store.open());
    for (std::int64_t version = 1; version <= 3; ++version) {
        ASSERT_EQ(store.apply(trades({"R1"}, version), {}, kToday).at(0).stored->version, version);
    }
    HistoryQuery versions;
    versions.trade_id = "R1";
    EXPECT_EQ(store.prune_history(Timestamp::max()), 0);
    EXPECT_EQ(RawConnection(uri_of(writer_)).scalar("SELECT prune_history('infinity', 100)"), "0");
    EXPECT_EQ(store.history(versions).size(), 3U);
    // Two days old (as the owner): versions 1 and 2 are superseded and go; 3 stays.
    RawConnection(uri_of(owner_))
        .execute("UPDATE audit_log SET recorded_at = recorded_at - interval '2 days'");
    EXPECT_EQ(store.prune_history(Timestamp::max()), 2);
    const auto left = store.history(versions);
    ASSERT_EQ(left.size(), 1U);
    EXPECT_EQ(left[0].trade.version, 3);
    EXPECT_EQ(store.prune_history(Timestamp::max()), 0);
    store.close();
}

TEST_F(HardenedAudit, TheRetentionFunctionRunsAsItsOwnerWithAPinnedSearchPath) {
    plugins::PostgresStore store(hardened(0));
    ASSERT_NO_THROW(store.open());
    RawConnection owner(uri_of(owner_));
    const auto rows = owner.query(
        "SELECT p.prosecdef, pg_get_userbyid(p.proowner), array_to_string(p.proconfig, ';'), "
        "has_function_privilege('public', p.oid, 'EXECUTE') "
        "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proname = 'prune_shipped_audit' AND n.nspname = $1",
        {schema_});
    ASSERT_EQ(rows.size(), 1U);
    EXPECT_EQ(rows[0][0], "t");  // SECURITY DEFINER
    EXPECT_EQ(rows[0][1], owner_);
    EXPECT_EQ(rows[0][2], "search_path=" + schema_ + ", pg_temp");
    EXPECT_EQ(rows[0][3], "f");  // not for everybody
    // With no floor, the store's retention prunes shipped rows by its own cut-off (a
    // rejection: a version entry is history and stays).
    store.apply(trades({"N1"}, 2), {}, kToday);
    store.apply(trades({"N1"}, 1), {}, kToday);
    const auto shipped = store.unshipped_audit(10);
    ASSERT_EQ(shipped.size(), 2U);
    store.mark_audit_shipped({shipped[0].id, shipped[1].id});
    EXPECT_EQ(store.prune_shipped_audit(Timestamp::max()), 1);
    EXPECT_EQ(store.audit_count(std::nullopt), 1);
}

TEST_F(HardenedAudit, TheWriterAloneOpensAnUpToDateSchemaButCannotCreateOne) {
    {
        plugins::PostgresStore fresh(store_options(uri_of(writer_)));
        try {
            fresh.open();
            ADD_FAILURE() << "the writer created the schema";
        } catch (const std::exception& error) {
            // Without USAGE on the schema, its search_path has nowhere to create in.
            EXPECT_THAT(error.what(), AnyOf(HasSubstr("permission denied"),
                                            HasSubstr("no schema has been selected")));
        }
    }
    {
        plugins::PostgresStore first(hardened(0));
        ASSERT_NO_THROW(first.open());
    }
    plugins::PostgresStore writer_only(store_options(uri_of(writer_)));
    ASSERT_NO_THROW(writer_only.open());
    EXPECT_EQ(writer_only.apply(trades({"W1"}), {}, kToday).size(), 1U);
}

// Several instances starting at once each migrate and grant without tripping over each other.
TEST_F(HardenedAudit, ConcurrentHardenedStartsDoNotRace) {
    constexpr int kStores = 4;
    std::vector<std::unique_ptr<plugins::PostgresStore>> stores;
    for (int i = 0; i < kStores; ++i) {
        stores.push_back(std::make_unique<plugins::PostgresStore>(hardened(3)));
    }
    std::vector<std::future<std::string>> opened;
    for (auto& store : stores) {
        opened.push_back(std::async(std::launch::async, [&store]() -> std::string {
            try {
                store->open();
                return "";
            } catch (const std::exception& error) {
                return error.what();
            }
        }));
    }
    for (auto& result : opened) EXPECT_EQ(result.get(), "");
    for (int i = 0; i < kStores; ++i) {
        EXPECT_EQ(stores[static_cast<std::size_t>(i)]
                      ->apply(trades({i % 2 == 0 ? "C0" : "C1"}), {}, kToday)
                      .size(),
                  1U);
    }
}

// A writer-only start leaves the owner's floor alone.
TEST_F(HardenedAudit, TheFloorStaysWhatTheOwnerSet) {
    {
        plugins::PostgresStore owner_run(hardened(7));
        ASSERT_NO_THROW(owner_run.open());
    }
    plugins::PostgresStore writer_only(store_options(uri_of(writer_)));
    ASSERT_NO_THROW(writer_only.open());
    EXPECT_EQ(RawConnection(uri_of(owner_)).scalar("SELECT min_age FROM audit_retention"),
              "7 days");
}

// A database written by the previous plugin (schema version 1) gains the retention function
// at the next start, and keeps its rows.
TEST_F(HardenedAudit, AVersionOneSchemaIsMigrated) {
    {
        plugins::PostgresStore first(hardened(0));
        ASSERT_NO_THROW(first.open());
        first.apply(trades({"V1"}), {}, kToday);
    }
    RawConnection owner(uri_of(owner_));
    owner.execute(
        "DROP INDEX audit_log_prunable; "
        "ALTER TABLE audit_log DROP COLUMN recorded_at, DROP COLUMN counter_party_id, "
        "DROP COLUMN book_id, DROP COLUMN maturity_date, DROP COLUMN created_date, "
        "DROP COLUMN expired, DROP COLUMN business_date; DROP TABLE idempotency_keys; "
        "DROP TABLE book_departures; ALTER TABLE trades DROP COLUMN former_books; "
        "DROP FUNCTION prune_shipped_events(timestamptz, bigint); DROP TABLE event_outbox; "
        "DROP FUNCTION prune_shipped_audit(timestamptz, bigint); "
        "DROP TABLE audit_retention; DROP TABLE change_outbox; "
        "DROP FUNCTION prune_history(timestamptz, bigint); "
        "DELETE FROM schema_version WHERE version >= 2");
    plugins::PostgresStore second(hardened(0));
    ASSERT_NO_THROW(second.open());
    EXPECT_EQ(owner.scalar("SELECT max(version) FROM schema_version"), "9");
    EXPECT_EQ(second.audit_count(std::nullopt), 1);
    second.mark_audit_shipped({second.unshipped_audit(10).at(0).id});
    EXPECT_EQ(second.prune_shipped_audit(Timestamp::max()), 1);
}

SystemEvent started(std::string id) {
    SystemEvent event;
    event.id = std::move(id);
    event.event_type = "STARTED";
    event.data_json = R"({"pid":1})";
    event.timestamp =
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    return event;
}

// A database of schema version 2 gains the event outbox (and the writer its grants) at the
// next start, and keeps its rows.
TEST_F(HardenedAudit, AVersionTwoSchemaGainsTheEventOutbox) {
    {
        plugins::PostgresStore first(hardened(0));
        ASSERT_NO_THROW(first.open());
        first.apply(trades({"V2"}), {}, kToday);
    }
    RawConnection owner(uri_of(owner_));
    owner.execute(
        "DROP INDEX audit_log_prunable; "
        "ALTER TABLE audit_log DROP COLUMN recorded_at, DROP COLUMN counter_party_id, "
        "DROP COLUMN book_id, DROP COLUMN maturity_date, DROP COLUMN created_date, "
        "DROP COLUMN expired, DROP COLUMN business_date; DROP TABLE idempotency_keys; "
        "DROP TABLE book_departures; ALTER TABLE trades DROP COLUMN former_books; "
        "DROP FUNCTION prune_shipped_events(timestamptz, bigint); DROP TABLE event_outbox; "
        "DROP TABLE change_outbox; DROP FUNCTION prune_history(timestamptz, bigint); "
        "DELETE FROM schema_version WHERE version >= 3");
    plugins::PostgresStore second(hardened(0));
    ASSERT_NO_THROW(second.open());
    EXPECT_EQ(owner.scalar("SELECT max(version) FROM schema_version"), "9");
    EXPECT_EQ(second.audit_count(std::nullopt), 1);
    second.append_events({started("STARTED:v2")});
    ASSERT_EQ(second.unshipped_events(10).size(), 1U);
    second.mark_events_shipped({"STARTED:v2"});
    EXPECT_EQ(second.prune_shipped_events(Timestamp::max()), 1);
    // The writer claims idempotency keys (schema version 4) and prunes the expired ones.
    const Timestamp now =
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    Batch claimed = trades({"V2-KEY"});
    claimed.idempotency.push_back({"k-v2", "hash", now - std::chrono::seconds(1), 0, 1, {}});
    second.apply(claimed, {}, kToday);
    EXPECT_TRUE(second.idempotent_answer("k-v2"));
    EXPECT_EQ(second.prune_idempotency_keys(now), 1);
    EXPECT_FALSE(second.idempotent_answer("k-v2"));
}

// The writer appends, reads and marks events, and prunes shipped ones through
// prune_shipped_events (above the same floor as audit rows), but cannot change or delete them.
TEST_F(HardenedAudit, TheWriterKeepsEventsButCannotChangeOrDeleteThem) {
    plugins::PostgresStore store(hardened(1));
    ASSERT_NO_THROW(store.open());
    store.append_events({started("STARTED:a"), started("STARTED:b")});
    for (const std::string sql : {"UPDATE event_outbox SET data = '{}'",
                                  "UPDATE event_outbox SET shipped = true, "
                                  "event_type = 'X'",
                                  "DELETE FROM event_outbox", "TRUNCATE event_outbox"}) {
        EXPECT_THAT(as_writer(sql), HasSubstr("permission denied")) << sql;
    }
    EXPECT_THAT(as_writer("ALTER FUNCTION prune_shipped_events(timestamptz, bigint) "
                          "SET search_path = public"),
                HasSubstr("must be owner"));
    EXPECT_EQ(as_writer("SELECT count(*) FROM event_outbox"), "");

    store.mark_events_shipped({"STARTED:a", "STARTED:b"});
    EXPECT_TRUE(store.unshipped_events(10).empty());
    // Younger than the one-day floor: nothing goes; once two days old, they do.
    EXPECT_EQ(store.prune_shipped_events(Timestamp::max()), 0);
    RawConnection owner(uri_of(owner_));
    owner.execute(
        "UPDATE event_outbox SET \"timestamp\" = now() - interval '2 days' "
        "WHERE id = 'STARTED:a'");
    EXPECT_EQ(store.prune_shipped_events(Timestamp::max()), 1);
    EXPECT_EQ(owner.scalar("SELECT count(*) FROM event_outbox"), "1");
    store.close();
}

}  // namespace
}  // namespace tradestore::pgtest
