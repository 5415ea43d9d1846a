// What the SQLite store does beyond the store contract: its settings, its file, its schema
// and how it reports a busy database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <tradestore/history.h>

#include <memory>
#include <string>

#include "queries.h"
#include "sqlite_environment.h"
#include "sqlite_store_settings.h"

namespace tradestore::contract {
namespace {

using plugins::SqliteStore;

constexpr Date kDay = kToday;

Settings defaults() {
    std::map<std::string, std::string, std::less<>> values;
    for (const SettingSpec& spec : plugins::sqlite_store_settings()) {
        values[spec.key] = spec.default_value;
    }
    return Settings(std::move(values));
}

Settings with(std::string key, std::string value) {
    auto values = defaults().values();
    values[std::move(key)] = std::move(value);
    return Settings(std::move(values));
}

// A plain connection to inspect or lock the file behind the store's back.
struct RawDatabase {
    explicit RawDatabase(const std::filesystem::path& path) {
        EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    }
    ~RawDatabase() { sqlite3_close_v2(db); }
    std::string text(const char* sql) {
        sqlite3_stmt* statement = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK) << sql;
        std::string result;
        if (sqlite3_step(statement) == SQLITE_ROW) {
            const auto* value = sqlite3_column_text(statement, 0);
            result = value != nullptr ? reinterpret_cast<const char*>(value) : "";
        }
        sqlite3_finalize(statement);
        return result;
    }
    void execute(const char* sql) {
        EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK)
            << sql << ": " << sqlite3_errmsg(db);
    }
    sqlite3* db = nullptr;
};

Batch one_trade(std::string id, std::int64_t version, std::string book = "B") {
    Batch batch;
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP";
    trade.book_id = std::move(book);
    trade.maturity_date = kDay;
    trade.created_date = kDay;
    batch.candidates.push_back({std::move(trade), "rest", "r", {}});
    return batch;
}

TEST(SqliteStoreSettings, DefaultsAreDurable) {
    const auto options = plugins::sqlite_store_options(defaults());
    EXPECT_EQ(options.connection.path, "var/tradestore.db");
    EXPECT_EQ(options.connection.busy_timeout, std::chrono::seconds{5});
    EXPECT_EQ(options.connection.synchronous, plugins::sqlite::Synchronous::Full);
    EXPECT_EQ(options.connection.cache_size_mb, 64);
}

TEST(SqliteStoreSettings, SynchronousIsFullOrNormal) {
    EXPECT_EQ(plugins::sqlite_store_options(with("synchronous", "normal")).connection.synchronous,
              plugins::sqlite::Synchronous::Normal);
    EXPECT_THROW(plugins::sqlite_store_options(with("synchronous", "off")), std::invalid_argument);
    EXPECT_THROW(plugins::sqlite_store_options(with("synchronous", "FULL ")),
                 std::invalid_argument);
}

TEST(SqliteStoreSettings, CacheSizeIsAtLeastOneMegabyte) {
    EXPECT_THROW(plugins::sqlite_store_options(with("cache_size_mb", "0")), std::invalid_argument);
    EXPECT_EQ(plugins::sqlite_store_options(with("cache_size_mb", "1")).connection.cache_size_mb,
              1);
    const auto specs = plugins::sqlite_store_settings();
    const auto cache = std::find_if(specs.begin(), specs.end(),
                                    [](const SettingSpec& s) { return s.key == "cache_size_mb"; });
    ASSERT_NE(cache, specs.end());
    EXPECT_EQ(cache->min, 1);
}

TEST(SqliteStoreFile, OpenCreatesTheDirectoryInWalModeWithTheCurrentSchema) {
    SqliteEnvironment environment;
    ASSERT_FALSE(std::filesystem::exists(environment.database().parent_path()));
    {
        auto store = environment.create_store();
        store->open();
        store->close();
        store->open();  // again on the same file: idempotent
        store->close();
    }
    ASSERT_TRUE(std::filesystem::exists(environment.database()));
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
    EXPECT_EQ(raw.text("SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7");
    EXPECT_EQ(
        raw.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                 "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name)"),
        "audit_log,book_departures,change_outbox,event_outbox,idempotency_keys,schema_version,"
        "source_positions,trade_tombstones,trades");
    EXPECT_EQ(raw.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                       "WHERE type = 'index' AND tbl_name IN ('trades', 'audit_log') AND "
                       "sql IS NOT NULL ORDER BY name)"),
              "audit_log_prunable,audit_log_trade_recorded,audit_log_unshipped,trades_book_id,"
              "trades_expired_maturity");
    EXPECT_EQ(raw.text("SELECT group_concat(name, ',') FROM pragma_table_info('trades')"),
              "trade_id,version,counter_party_id,book_id,maturity_date,created_date,expired,"
              "last_updated,former_books");
}

TEST(SqliteStoreFile, LastUpdatedIsStoredAsUtcMicroseconds) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    store->open();
    const Rule* no_rules[] = {nullptr};
    const auto results = store->apply(one_trade("T1", 1), std::span(no_rules, 0), kDay);
    ASSERT_TRUE(results.at(0).stored);
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("SELECT last_updated FROM trades WHERE trade_id = 'T1'"),
              std::to_string(results[0].stored->last_updated.time_since_epoch().count()));
    EXPECT_EQ(raw.text("SELECT maturity_date FROM trades WHERE trade_id = 'T1'"), "2026-11-24");
    store->close();
}

TEST(SqliteStoreFile, ANewerSchemaIsRefused) {
    SqliteEnvironment environment;
    {
        auto store = environment.create_store();
        store->open();
    }
    {
        RawDatabase raw(environment.database());
        raw.execute("INSERT INTO schema_version (version) VALUES (8)");
    }
    auto store = environment.create_store();
    EXPECT_THROW(store->open(), std::runtime_error);
}

// Writes trade T1 (version 1) into the environment's database and closes the store.
void store_one_trade(SqliteEnvironment& environment) {
    auto store = environment.create_store();
    store->open();
    const Rule* no_rules[] = {nullptr};
    store->apply(one_trade("T1", 1), std::span(no_rules, 0), kDay);
    store->close();
}

// Takes a current database back to schema version 5: no former books or book departures,
// and the history read through audit_log_trade_id (trade_id, id).
void undo_version_six(RawDatabase& raw) {
    raw.execute("ALTER TABLE trades DROP COLUMN former_books");
    raw.execute("DROP TABLE book_departures");
    raw.execute("DROP INDEX audit_log_trade_recorded");
    raw.execute("CREATE INDEX audit_log_trade_id ON audit_log (trade_id, id)");
    raw.execute("DELETE FROM schema_version WHERE version >= 6");
}

// Takes a current database back to schema version 4: audit_log without the columns of its
// version entries, and with its timestamp index instead of the prunable entries' (version 5).
void undo_version_five(RawDatabase& raw) {
    undo_version_six(raw);
    raw.execute("DROP INDEX audit_log_prunable");
    raw.execute("CREATE INDEX audit_log_timestamp ON audit_log (timestamp)");
    for (const char* column : {"recorded_at", "counter_party_id", "book_id", "maturity_date",
                               "created_date", "expired", "business_date"}) {
        raw.execute(("ALTER TABLE audit_log DROP COLUMN " + std::string(column)).c_str());
    }
    raw.execute("DELETE FROM schema_version WHERE version >= 5");
}

// A database of schema version 1 (before the event outbox and idempotency keys) gains them at
// the next open, and keeps its rows.
TEST(SqliteStoreFile, AVersionOneDatabaseGainsTheEventOutbox) {
    SqliteEnvironment environment;
    store_one_trade(environment);
    {
        RawDatabase raw(environment.database());
        undo_version_five(raw);
        raw.execute("DROP TABLE event_outbox");
        raw.execute("DROP TABLE idempotency_keys");
        raw.execute("DELETE FROM schema_version WHERE version >= 2");
    }
    auto store = environment.create_store();
    store->open();
    EXPECT_EQ(store->audit_count(std::nullopt), 1);
    SystemEvent event;
    event.id = "STARTED:1";
    event.event_type = "STARTED";
    store->event_outbox()->append_events({event});
    EXPECT_EQ(store->event_outbox()->unshipped_events(10).size(), 1u);
    EXPECT_FALSE(store->idempotency_keys()->idempotent_answer("absent"));
    store->close();
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7");
}

// A database of schema version 3 (five indexes on trades) keeps only the two that reads need
// at the next open, and its trades stay readable and expirable.
TEST(SqliteStoreFile, AVersionThreeDatabaseDropsTheIndexesNoReadNeeds) {
    SqliteEnvironment environment;
    store_one_trade(environment);
    {
        RawDatabase raw(environment.database());
        undo_version_five(raw);
        raw.execute("DROP INDEX trades_expired_maturity");
        raw.execute("CREATE INDEX trades_maturity_date ON trades (maturity_date)");
        raw.execute("CREATE INDEX trades_expired ON trades (expired)");
        raw.execute("CREATE INDEX trades_counter_party_id ON trades (counter_party_id)");
        raw.execute(
            "CREATE INDEX trades_book_expired_maturity "
            "ON trades (book_id, expired, maturity_date)");
        raw.execute("DELETE FROM schema_version WHERE version >= 4");
    }
    auto store = environment.create_store();
    store->open();
    EXPECT_EQ(store->list_by_book("B", kDay).size(), 1u);
    EXPECT_EQ(store->expire(kDay + std::chrono::days{1}, "job"), 1);
    store->close();
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7");
    EXPECT_EQ(raw.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                       "WHERE type = 'index' AND tbl_name = 'trades' AND sql IS NOT NULL "
                       "ORDER BY name)"),
              "trades_book_id,trades_expired_maturity");
}

// A database of schema version 4 gains the version columns of audit_log at the next open and
// keeps its rows; its entries are not versions (the history starts with the migration), so
// once shipped they can be pruned, while the versions recorded after it stay.
TEST(SqliteStoreFile, AVersionFourDatabaseGainsTheTradeHistory) {
    SqliteEnvironment environment;
    store_one_trade(environment);
    {
        RawDatabase raw(environment.database());
        undo_version_five(raw);
    }
    auto store = environment.create_store();
    store->open();
    ASSERT_NE(store->trade_history(), nullptr);
    EXPECT_EQ(store->get("T1", kDay)->version, 1);
    EXPECT_EQ(store->audit_count(std::nullopt), 1);
    const Rule* no_rules[] = {nullptr};
    store->apply(one_trade("T1", 2), std::span(no_rules, 0), kDay);
    const auto history = store->trade_history()->history(HistoryQuery{"T1", 0, 10, {}, {}});
    ASSERT_EQ(history.size(), 1u);  // what came before the history is not in it
    EXPECT_EQ(history[0].action, AuditAction::Update);
    EXPECT_EQ(history[0].previous_version, 1);
    EXPECT_EQ(history[0].trade, *store->get("T1", kDay));

    std::vector<std::int64_t> ids;
    for (const AuditEntry& entry : store->audit_outbox()->unshipped_audit(10))
        ids.push_back(entry.id);
    ASSERT_EQ(ids.size(), 2u);
    store->audit_outbox()->mark_audit_shipped(ids);
    EXPECT_EQ(store->audit_outbox()->prune_shipped_audit(Timestamp::max()),
              1);  // the entry from before
    EXPECT_EQ(store->audit_count(std::nullopt), 1);
    EXPECT_EQ(store->trade_history()->history(HistoryQuery{"T1", 0, 10, {}, {}}), history);
    store->close();
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7");
}

// A database of schema version 5 gains former_books (NULL) and book_departures from its
// history at the next open: a trade that moved to another book, and one deleted while in it,
// are in the book as of before (a version 5 store kept no departures), and the history reads
// through the new index. The moves after it are kept in former_books.
TEST(SqliteStoreFile, AVersionFiveDatabaseFindsTheTradesThatLeftABook) {
    SqliteEnvironment environment;
    const Rule* no_rules[] = {nullptr};
    const std::span<const Rule* const> none(no_rules, 0);
    Timestamp before;
    {
        auto store = environment.create_store();
        store->open();
        store->apply(one_trade("T1", 1, "B"), none, kDay);
        store->apply(one_trade("T2", 1, "B"), none, kDay);
        store->apply(one_trade("T3", 1, "C"), none, kDay);
        before = store->get("T3", kDay)->last_updated;
        const auto moved = store->apply(one_trade("T1", 2, "C"), none, kDay);
        ASSERT_GT(moved.at(0).stored->last_updated, before);
        ASSERT_TRUE(store->remove("T2", "rest", "del"));
        store->close();
        RawDatabase raw(environment.database());
        undo_version_six(raw);
    }
    auto store = environment.create_store();
    store->open();
    const auto ids_of = [](const std::vector<HistoryRecord>& records) {
        std::string out;
        for (const HistoryRecord& r : records)
            out += r.trade.trade_id + "@" + r.trade.book_id + " ";
        return out;
    };
    TradeHistory& history = *store->trade_history();
    EXPECT_EQ(ids_of(history.book_at("B", before)), "T1@B T2@B ");
    EXPECT_EQ(ids_of(history.book_at("C", before)), "T3@C ");
    EXPECT_EQ(ids_of(history.book_at("B", Timestamp::max())), "");
    EXPECT_EQ(ids_of(history.book_at("C", Timestamp::max())), "T1@C T3@C ");
    EXPECT_EQ(ids_of(history.trades_at(before, 0, 10)), "T1@B T2@B T3@C ");
    EXPECT_EQ(ids_of(history.trades_at(Timestamp::max(), 0, 10)), "T1@C T3@C ");
    EXPECT_EQ(history.version_at("T1", before)->trade.version, 1);
    ASSERT_EQ(history.history(HistoryQuery{"T1", 0, 10, {}, {}}).size(), 2u);
    const Timestamp migrated = store->get("T1", kDay)->last_updated;
    store->apply(one_trade("T1", 3, "D"), none, kDay);
    EXPECT_EQ(ids_of(history.book_at("B", before)), "T1@B T2@B ");
    EXPECT_EQ(ids_of(history.book_at("C", migrated)), "T1@C T3@C ");
    EXPECT_EQ(ids_of(history.book_at("C", Timestamp::max())), "T3@C ");
    EXPECT_EQ(ids_of(history.book_at("D", Timestamp::max())), "T1@D ");
    store->close();
    RawDatabase raw(environment.database());
    EXPECT_EQ(raw.text("SELECT group_concat(version) FROM schema_version"), "1,2,3,4,5,6,7");
    // Every version's (book, trade) but the trade's current one: here exactly the moves.
    EXPECT_EQ(raw.text("SELECT group_concat(book_id || '/' || trade_id, ',') FROM "
                       "(SELECT * FROM book_departures ORDER BY book_id, trade_id)"),
              "B/T1,B/T2");
    EXPECT_EQ(raw.text("SELECT group_concat(trade_id || '=' || coalesce(former_books, 'NULL'), "
                       "' ') FROM (SELECT * FROM trades ORDER BY trade_id)"),
              R"(T1=["C"] T3=NULL)");
}

// A store of the current schema keeps the books a live trade left in its row: former_books,
// a JSON array as json_array() writes it, each book once, in the order it left them (against
// the stored row's book, then against the batch's version before), set only by a version
// that leaves a book. book_departures is written by a delete alone: each book the trade was
// ever in, which stay when it comes back (in a new row, with no former books).
TEST(SqliteStoreHistory, TheBooksATradeLeftAreKeptInItsRowThenInDeparturesWhenDeleted) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    store->open();
    const Rule* no_rules[] = {nullptr};
    const std::span<const Rule* const> none(no_rules, 0);
    RawDatabase raw(environment.database());
    const auto departures = [&raw] {
        return raw.text(
            "SELECT COALESCE(group_concat(book_id || '/' || trade_id, ','), '') "
            "FROM (SELECT * FROM book_departures ORDER BY book_id, trade_id)");
    };
    const auto former = [&raw](const std::string& id) {
        const std::string sql =
            "SELECT coalesce(former_books, 'NULL') FROM trades WHERE trade_id = '" + id + "'";
        return raw.text(sql.c_str());
    };
    store->apply(one_trade("T1", 1, "A"), none, kDay);
    store->apply(one_trade("T1", 2, "A"), none, kDay);
    EXPECT_EQ(former("T1"), "NULL");
    // In one batch: T1 from A to B, C, (D rejected) and back to B; T2 created in X, then Y.
    Batch moves = one_trade("T1", 3, "B");
    moves.candidates.push_back(one_trade("T1", 4, "C").candidates[0]);
    moves.candidates.push_back(one_trade("T2", 1, "X").candidates[0]);
    moves.candidates.push_back(one_trade("T1", 3, "D").candidates[0]);
    moves.candidates.push_back(one_trade("T1", 5, "B").candidates[0]);
    moves.candidates.push_back(one_trade("T2", 2, "Y").candidates[0]);
    const auto results = store->apply(moves, none, kDay);
    ASSERT_EQ(results[3].outcome, Outcome::Rejected);
    EXPECT_EQ(former("T1"), R"(["A","B","C"])");
    EXPECT_EQ(former("T2"), R"(["X"])");
    // A version in the same book leaves the column as it is; a book left again is not added
    // again.
    store->apply(one_trade("T1", 6, "B"), none, kDay);
    const Timestamp t1_in_a =
        store->apply(one_trade("T1", 7, "A"), none, kDay).at(0).stored->last_updated;
    store->apply(one_trade("T1", 8, "AB"), none, kDay);
    EXPECT_EQ(former("T1"), R"(["A","B","C"])");
    // Book ids escaped as json_array() escapes them; one whose JSON text is inside another
    // book's ("A" in "q\"A") is still added.
    store->apply(one_trade("T3", 1, "q\"A"), none, kDay);
    const Timestamp t3_in_a =
        store->apply(one_trade("T3", 2, "A"), none, kDay).at(0).stored->last_updated;
    const std::string odd_book = "t\\\t\x01\"\b\n\f\r\x0b\x1f\xc3\xa9\x7f";
    store->apply(one_trade("T3", 3, odd_book), none, kDay);
    const Timestamp odd = store->get("T3", kDay)->last_updated;
    store->apply(one_trade("T3", 4, "Z"), none, kDay);
    EXPECT_EQ(former("T3"), raw.text("SELECT json_array('q\"A', 'A', "
                                     "'t\\' || char(9, 1, 34, 8, 10, 12, 13, 11, 31, 233, 127))"));
    EXPECT_EQ(departures(), "");
    TradeHistory& history = *store->trade_history();
    const auto ids_at = [&history](const std::string& book, Timestamp at) {
        std::string out;
        for (const HistoryRecord& r : history.book_at(book, at)) out += r.trade.trade_id + " ";
        return out;
    };
    EXPECT_EQ(ids_at(odd_book, odd), "T3 ");
    EXPECT_EQ(ids_at(odd_book, Timestamp::max()), "");
    EXPECT_EQ(ids_at("A", t1_in_a), "T1 ");
    EXPECT_EQ(ids_at("A", t3_in_a), "T3 ");
    EXPECT_EQ(ids_at("AB", Timestamp::max()), "T1 ");

    const Timestamp in_x = results[2].stored->last_updated;
    ASSERT_TRUE(store->remove("T2", "rest", "del"));
    EXPECT_EQ(departures(), "X/T2,Y/T2");
    store->apply(one_trade("T2", 3, "Z"), none, kDay);  // back from its tombstone
    EXPECT_EQ(former("T2"), "NULL");
    EXPECT_EQ(departures(), "X/T2,Y/T2");
    EXPECT_EQ(ids_at("X", in_x), "T2 ");
    EXPECT_EQ(ids_at("Y", results[5].stored->last_updated), "T2 ");
    EXPECT_EQ(ids_at("Z", Timestamp::max()), "T2 T3 ");
    ASSERT_TRUE(store->remove("T3", "rest", "del"));  // its book and every former one, once
    EXPECT_EQ(departures(), "A/T3,X/T2,Y/T2,Z/T3,q\"A/T3," + odd_book + "/T3");
    EXPECT_EQ(ids_at("A", t3_in_a), "T3 ");
    EXPECT_EQ(ids_at("q\"A", t3_in_a - std::chrono::microseconds{1}), "T3 ");
    store->close();
}

// The history's reads, each on an index: a trade's range of audit_log_trade_recorded, or one
// probe of it per candidate of a snapshot, merged in trade id order without a sort (so a page
// of trades_at stops early); the audit of one trade sorts that trade's entries.
TEST(SqliteStoreHistory, HistoryQueriesUseTheIndexWithoutSorting) {
    SqliteEnvironment environment;
    {
        auto store = environment.create_store();
        store->open();
        store->close();
    }
    RawDatabase raw(environment.database());
    const auto plan = [&raw](plugins::sqlite::Query query) {
        const std::string explain =
            "EXPLAIN QUERY PLAN " + std::string(plugins::sqlite::sql(query));
        sqlite3_stmt* statement = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(raw.db, explain.c_str(), -1, &statement, nullptr), SQLITE_OK)
            << sqlite3_errmsg(raw.db);
        std::string out;
        while (sqlite3_step(statement) == SQLITE_ROW) {
            if (!out.empty()) out += "; ";
            out += reinterpret_cast<const char*>(sqlite3_column_text(statement, 3));
        }
        sqlite3_finalize(statement);
        return out;
    };
    using plugins::sqlite::Query;
    using testing::AllOf;
    using testing::HasSubstr;
    using testing::Not;
    const auto probe = HasSubstr("INDEX audit_log_trade_recorded (trade_id=? AND recorded_at<?)");
    const auto no_sort = Not(HasSubstr("TEMP B-TREE"));
    EXPECT_THAT(plan(Query::HistoryByTrade),
                AllOf(HasSubstr("audit_log_trade_recorded (trade_id=? AND recorded_at>? AND "
                                "recorded_at<?)"),
                      no_sort));
    EXPECT_THAT(plan(Query::HistoryAt), AllOf(probe, no_sort));
    EXPECT_THAT(plan(Query::TradesAt),
                AllOf(HasSubstr("MERGE (UNION ALL)"), HasSubstr("SCAN trades"),
                      HasSubstr("SCAN trade_tombstones"), probe,
                      HasSubstr("audit_log USING INTEGER PRIMARY KEY"), no_sort));
    EXPECT_THAT(plan(Query::BookAt),
                AllOf(HasSubstr("MERGE (UNION ALL)"), HasSubstr("SCAN trades"),
                      HasSubstr("SEARCH d USING PRIMARY KEY (book_id=?)"),
                      HasSubstr("SEARCH t USING PRIMARY KEY (trade_id=?)"), probe,
                      HasSubstr("audit_log USING INTEGER PRIMARY KEY"), no_sort));
    EXPECT_THAT(plan(Query::AuditByTrade),
                AllOf(HasSubstr("SEARCH audit_log USING INDEX audit_log_trade_recorded "
                                "(trade_id=?)"),
                      Not(HasSubstr("SCAN"))));
    EXPECT_THAT(plan(Query::AuditCountByTrade),
                HasSubstr("audit_log USING COVERING INDEX audit_log_trade_recorded (trade_id=?)"));
}

// recorded_at keeps increasing per trade when the clock is behind what was recorded (a clock
// stepped back): after a live row's last_updated, a tombstone's deleted_at and an expired
// trade's last_updated, each one microsecond later. Set behind the store's back, since the
// store's clock cannot be moved. The EXPIRE entries' own timestamp stays the run's clock
// reading, one for all of them.
TEST(SqliteStoreHistory, RecordedAtStaysIncreasingWhenTheClockIsBehind) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    store->open();
    const Rule* no_rules[] = {nullptr};
    const std::span<const Rule* const> none(no_rules, 0);
    const std::int64_t ahead = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() +
                               3'600'000'000;  // an hour ahead of the clock
    const auto at = [](std::int64_t micros) {
        return Timestamp{std::chrono::microseconds{micros}};
    };
    RawDatabase raw(environment.database());
    const auto set = [&raw](const std::string& sql) { raw.execute(sql.c_str()); };

    store->apply(one_trade("T1", 1), none, kDay);
    set("UPDATE trades SET last_updated = " + std::to_string(ahead));
    EXPECT_EQ(store->apply(one_trade("T1", 2), none, kDay).at(0).stored->last_updated,
              at(ahead + 1));
    const auto utc_today = [] {
        return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
    };
    const Date delete_day_before = utc_today();
    ASSERT_TRUE(store->remove("T1", "rest", "del"));
    const Date delete_day_after = utc_today();
    EXPECT_EQ(raw.text("SELECT deleted_at FROM trade_tombstones"), std::to_string(ahead + 2));

    set("UPDATE trade_tombstones SET deleted_at = " + std::to_string(ahead + 100));
    const auto recreated = store->apply(one_trade("T1", 3), none, kDay).at(0);
    ASSERT_EQ(recreated.outcome, Outcome::Created);
    EXPECT_EQ(recreated.stored->last_updated, at(ahead + 101));

    store->apply(one_trade("T2", 1), none, kDay);  // expired in the same run, clock ahead
    set("UPDATE trades SET last_updated = " + std::to_string(ahead + 200) +
        " WHERE trade_id = 'T1'");
    ASSERT_EQ(store->expire(kDay + std::chrono::days{1}, "job"), 2);
    EXPECT_EQ(store->get("T1", kDay)->last_updated, at(ahead + 201));

    const auto history = store->trade_history()->history(HistoryQuery{"T1", 0, 10, {}, {}});
    ASSERT_EQ(history.size(), 5u);
    const std::pair<AuditAction, std::int64_t> expected[] = {
        {AuditAction::Update, ahead + 1},
        {AuditAction::Delete, ahead + 2},
        {AuditAction::Create, ahead + 101},
        {AuditAction::Expire, ahead + 201},
    };
    EXPECT_EQ(history[0].action, AuditAction::Create);
    EXPECT_LT(history[0].recorded_at, at(ahead));
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(history[i + 1].action, expected[i].first) << i;
        EXPECT_EQ(history[i + 1].recorded_at, at(expected[i].second)) << i;
        EXPECT_EQ(history[i + 1].trade.last_updated, history[i + 1].recorded_at) << i;
    }
    // The DELETE's business date stands in as the UTC date of the clock when it ran, not of
    // its recorded_at, which was pushed an hour ahead (another day after 23:00 UTC).
    EXPECT_GE(history[2].business_date, delete_day_before);
    EXPECT_LE(history[2].business_date, delete_day_after);

    const auto t2 = store->trade_history()->history(HistoryQuery{"T2", 0, 10, {}, {}});
    ASSERT_EQ(t2.size(), 2u);
    EXPECT_EQ(t2[1].action, AuditAction::Expire);
    EXPECT_LT(t2[1].recorded_at, at(ahead));
    EXPECT_EQ(t2[1].business_date, kDay + std::chrono::days{1});
    // Both EXPIRE entries carry the run's one timestamp, whatever their recorded_at.
    EXPECT_EQ(raw.text("SELECT COUNT(DISTINCT timestamp) || ',' || COUNT(*) FROM audit_log "
                       "WHERE action = 'EXPIRE'"),
              "1,2");
    EXPECT_EQ(raw.text("SELECT COUNT(*) FROM audit_log WHERE action = 'EXPIRE' AND "
                       "timestamp < recorded_at"),
              "1");  // T1's, recorded after the clock reading
    store->close();
}

TEST(SqliteStoreFile, ABusyDatabaseIsUnavailableAndNothingIsWritten) {
    SqliteEnvironment environment;
    auto options = environment.options();
    options.connection.busy_timeout = std::chrono::milliseconds{50};
    SqliteStore store(options);
    store.open();

    RawDatabase other(environment.database());
    other.execute("BEGIN IMMEDIATE");  // another process holds the write lock
    EXPECT_THROW(store.apply(one_trade("T1", 1), {}, kDay), StoreUnavailable);
    EXPECT_THROW(store.remove("T1", "rest", "r"), StoreUnavailable);
    EXPECT_THROW(store.expire(kDay, "job"), StoreUnavailable);
    EXPECT_TRUE(store.healthy());  // readers are not blocked in WAL mode
    other.execute("ROLLBACK");

    EXPECT_EQ(store.audit_count(std::nullopt), 0);
    EXPECT_EQ(store.apply(one_trade("T1", 1), {}, kDay).at(0).outcome, Outcome::Created);
    EXPECT_EQ(store.audit_count(std::nullopt), 1);
}

TEST(SqliteStoreFile, AClosedStoreIsUnavailable) {
    SqliteEnvironment environment;
    auto store = environment.create_store();
    EXPECT_THROW(store->get("T1", kDay), StoreUnavailable);
    EXPECT_FALSE(store->healthy());
    store->open();
    EXPECT_TRUE(store->healthy());
    store->close();
    EXPECT_THROW(store->apply(one_trade("T1", 1), {}, kDay), StoreUnavailable);
    EXPECT_THROW(store->list(0, 10, kDay), StoreUnavailable);
    EXPECT_FALSE(store->healthy());
}

TEST(SqliteStoreFile, AnUnopenableFileFailsToOpen) {
    SqliteEnvironment environment;
    std::filesystem::create_directories(environment.database());  // a directory, not a file
    auto store = environment.create_store();
    EXPECT_THROW(store->open(), std::runtime_error);
}

}  // namespace
}  // namespace tradestore::contract
