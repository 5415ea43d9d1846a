// The audit outbox contract run against the SQLite store, and how the SQLite store keeps its
// outbox cheap: an unshipped flag on audit_log with a partial index over the unshipped ids.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "sqlite_environment.h"

namespace tradestore::contract {

TRADESTORE_INSTANTIATE_STORE_OUTBOX(Sqlite, sqlite_implementation());
TRADESTORE_INSTANTIATE_STORE_EVENT_OUTBOX(Sqlite, sqlite_implementation());

namespace {

// The rows of `EXPLAIN QUERY PLAN sql`, their detail column joined by "; ".
std::string query_plan(const std::filesystem::path& path, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    const std::string explain = "EXPLAIN QUERY PLAN " + sql;
    EXPECT_EQ(sqlite3_prepare_v2(db, explain.c_str(), -1, &statement, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string plan;
    while (sqlite3_step(statement) == SQLITE_ROW) {
        if (!plan.empty()) plan += "; ";
        plan += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
    }
    sqlite3_finalize(statement);
    sqlite3_close_v2(db);
    return plan;
}

// The plan of `sql` on a database the store has just created its schema in.
std::string plan_on_a_fresh_schema(const std::string& sql) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    store->open();
    store->close();
    return query_plan(environment.database(), sql);
}

TEST(SqliteOutbox, TheBacklogIsReadThroughThePartialIndexWithoutSorting) {
    const std::string plan = plan_on_a_fresh_schema(
        "SELECT id, trade_id FROM audit_log WHERE shipped = 0 ORDER BY id LIMIT 1000");
    EXPECT_NE(plan.find("audit_log_unshipped"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

TEST(SqliteOutbox, TheEventBacklogIsReadThroughItsPartialIndexWithoutSorting) {
    const std::string plan = plan_on_a_fresh_schema(
        "SELECT id, event_type, severity, data, timestamp FROM event_outbox "
        "WHERE shipped = 0 ORDER BY timestamp, id LIMIT 1000");
    EXPECT_NE(plan.find("event_outbox_unshipped"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
}

// Pruning visits only the entries it may delete (not the version entries, the history).
TEST(SqliteOutbox, PruningUsesThePartialIndexOfPrunableEntries) {
    const std::string plan = plan_on_a_fresh_schema(
        "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log "
        "WHERE timestamp < 5 AND shipped = 1 AND recorded_at IS NULL LIMIT 10)");
    EXPECT_NE(plan.find("audit_log_prunable"), std::string::npos) << plan;
}

TEST(SqliteOutbox, ShippedEntriesLeaveThePartialIndex) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    store->open();
    Batch batch;
    for (int i = 0; i < 10; ++i) {
        Trade trade;
        trade.trade_id = "S" + std::to_string(i);
        trade.version = 1;
        trade.counter_party_id = "CP";
        trade.book_id = "B";
        trade.maturity_date = kToday;
        trade.created_date = kToday;
        batch.candidates.push_back({std::move(trade), "rest", "r", {}});
    }
    store->apply(batch, {}, kToday);
    std::vector<std::int64_t> ids;
    for (const AuditEntry& entry : store->audit_outbox()->unshipped_audit(7))
        ids.push_back(entry.id);
    store->audit_outbox()->mark_audit_shipped(ids);
    store->close();

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(environment.database().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    // INDEXED BY makes SQLite read the partial index itself: it holds the three left.
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT COUNT(*) FROM audit_log INDEXED BY audit_log_unshipped "
                                 "WHERE shipped = 0",
                                 -1, &statement, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(statement, 0), 3);
    sqlite3_finalize(statement);
    sqlite3_close_v2(db);
}

}  // namespace
}  // namespace tradestore::contract
