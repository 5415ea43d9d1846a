// What the PostgreSQL store does beyond the store contract: its schema and migrations,
// hostile text, array parameters, lock and pool limits, and reconnecting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "array_literal.h"
#include "pg_test_support.h"
#include "queries.h"
#include "trade_rules.h"

namespace tradestore::pgtest {
namespace {

using contract::kToday;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Trade make_trade(std::string id, std::int64_t version, std::string book = "B1") {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = std::move(book);
    trade.maturity_date = kToday + std::chrono::days{30};
    trade.created_date = kToday - std::chrono::days{1};
    return trade;
}

Batch batch_of(std::vector<Trade> trades, std::string source = "rest",
               std::string reference = "r") {
    Batch batch;
    for (Trade& trade : trades)
        batch.candidates.push_back({std::move(trade), source, reference, {}});
    return batch;
}

class PostgresStoreTest : public ::testing::Test {
  protected:
    std::unique_ptr<plugins::PostgresStore> open_store(
        const plugins::PostgresStoreOptions& options) {
        auto store = std::make_unique<plugins::PostgresStore>(options);
        store->open();
        return store;
    }
    std::unique_ptr<plugins::PostgresStore> open_store() { return open_store(env_.options()); }

    std::vector<ItemResult> apply(Store& store, Batch batch) {
        return store.apply(batch, rules_, kToday);
    }

    PostgresEnvironment env_;
    RawConnection raw_{env_.uri()};
    plugins::TradeRules trade_rules_{true, true};
    std::vector<const Rule*> rules_{&trade_rules_};
};

// ---- schema --------------------------------------------------------------------------------

TEST_F(PostgresStoreTest, SchemaHasTheDesignedTablesIndexesAndCollation) {
    auto store = open_store();
    EXPECT_EQ(
        raw_.scalar("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version"),
        "1,2,3,4,5,6,7,8,9");
    EXPECT_EQ(raw_.scalar("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
                          "WHERE schemaname = $1 AND tablename = 'idempotency_keys'",
                          {env_.schema()}),
              "idempotency_keys_expires_at,idempotency_keys_pkey");
    EXPECT_EQ(raw_.scalar("SELECT collation_name FROM information_schema.columns WHERE "
                          "table_schema = $1 AND table_name = 'idempotency_keys' AND "
                          "column_name = 'key'",
                          {env_.schema()}),
              "C");

    std::vector<std::string> indexes;
    for (const auto& row : raw_.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 "
                                      "AND tablename = 'trades' ORDER BY indexname",
                                      {env_.schema()})) {
        indexes.push_back(*row[0]);
    }
    EXPECT_THAT(indexes,
                ElementsAre("trades_book_expired_maturity", "trades_maturity_date", "trades_pkey"));
    EXPECT_EQ(raw_.scalar("SELECT array_to_string(reloptions, ',') FROM pg_class "
                          "WHERE oid = ($1 || '.trades')::regclass",
                          {env_.schema()}),
              "fillfactor=90");
    std::vector<std::string> audit_indexes;
    for (const auto& row : raw_.query("SELECT indexname || ' ' || (SELECT amname FROM pg_am "
                                      "JOIN pg_class c ON c.relam = pg_am.oid WHERE "
                                      "c.oid = (schemaname || '.' || indexname)::regclass) "
                                      "FROM pg_indexes WHERE schemaname = $1 AND "
                                      "tablename = 'audit_log' ORDER BY indexname",
                                      {env_.schema()})) {
        audit_indexes.push_back(*row[0]);
    }
    EXPECT_THAT(audit_indexes,
                ElementsAre("audit_log_pkey btree", "audit_log_prunable btree",
                            "audit_log_trade_recorded btree", "audit_log_unshipped btree"));
    EXPECT_EQ(raw_.scalar("SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND "
                          "indexname = 'trades_book_expired_maturity'",
                          {env_.schema()}),
              "CREATE INDEX trades_book_expired_maturity ON " + env_.schema() +
                  ".trades USING btree (book_id, expired, maturity_date)");
    for (const std::string table : {"trades", "trade_tombstones", "audit_log"}) {
        EXPECT_EQ(raw_.scalar("SELECT collation_name FROM information_schema.columns WHERE "
                              "table_schema = $1 AND table_name = $2 AND column_name = 'trade_id'",
                              {env_.schema(), table}),
                  "C")
            << table;
    }
    EXPECT_EQ(raw_.scalar("SELECT data_type FROM information_schema.columns WHERE "
                          "table_schema = $1 AND table_name = 'audit_log' AND column_name = 'id'",
                          {env_.schema()}),
              "bigint");
    EXPECT_THAT(raw_.scalar("SELECT column_default FROM information_schema.columns WHERE "
                            "table_schema = $1 AND table_name = 'audit_log' AND "
                            "column_name = 'id'",
                            {env_.schema()}),
                HasSubstr("nextval"));
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM information_schema.tables WHERE "
                          "table_schema = $1 AND table_name IN ('trades', 'audit_log', "
                          "'trade_tombstones', 'source_positions', 'job_runs', "
                          "'schema_version', 'event_outbox', 'book_departures', "
                          "'change_outbox')",
                          {env_.schema()}),
              "9");
    // History: version entries of audit_log, with the trade's columns, and no index of its own.
    EXPECT_EQ(raw_.scalar("SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY "
                          "ordinal_position) FROM information_schema.columns WHERE "
                          "table_schema = $1 AND table_name = 'audit_log' AND "
                          "ordinal_position > 12",
                          {env_.schema()}),
              "recorded_at timestamp with time zone,counter_party_id text,book_id text,"
              "maturity_date date,created_date date,expired boolean,business_date date");
}

TEST_F(PostgresStoreTest, ConcurrentOpensOfAnEmptyDatabaseDoNotRace) {
    constexpr int kStores = 4;
    std::vector<std::unique_ptr<plugins::PostgresStore>> stores;
    for (int i = 0; i < kStores; ++i) stores.push_back(env_.create_postgres_store());
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::future<std::string>> opened;
    for (auto& store : stores) {
        opened.push_back(std::async(std::launch::async, [&store, start]() -> std::string {
            start.wait();
            try {
                store->open();
                return "";
            } catch (const std::exception& error) {
                return error.what();
            }
        }));
    }
    go.set_value();
    for (auto& result : opened) EXPECT_EQ(result.get(), "");
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM schema_version"), "9");
    for (int i = 0; i < kStores; ++i) {
        const auto results = apply(*stores[static_cast<std::size_t>(i)],
                                   batch_of({make_trade("T" + std::to_string(i), 1)}));
        EXPECT_EQ(results.at(0).outcome, Outcome::Created);
    }
    EXPECT_EQ(stores[0]->statistics(kToday).total_trades, kStores);
}

TEST_F(PostgresStoreTest, ASchemaFromANewerPluginIsRefused) {
    open_store()->close();
    raw_.execute("INSERT INTO schema_version (version) VALUES (99)");
    plugins::PostgresStore store(env_.options());
    try {
        store.open();
        FAIL() << "open() accepted a newer schema";
    } catch (const StoreUnavailable& error) {
        FAIL() << "a newer schema is not a transient failure: " << error.what();
    } catch (const std::runtime_error& error) {
        EXPECT_THAT(error.what(), HasSubstr("schema version 99"));
    }
}

// A database of schema version 4 (six indexes on trades, fillfactor 100) loses the three
// indexes no query needs and gets the fillfactor at the next start, and keeps its rows.
TEST_F(PostgresStoreTest, AVersionFourSchemaLosesTheRedundantIndexesAndKeepsItsRows) {
    {
        auto first = open_store();
        apply(*first, batch_of({make_trade("V4-A", 1, "BOOK-A"), make_trade("V4-B", 3, "BOOK-B")}));
    }
    raw_.execute(
        "CREATE INDEX trades_book_id ON trades (book_id); "
        "CREATE INDEX trades_expired ON trades (expired); "
        "CREATE INDEX trades_counter_party_id ON trades (counter_party_id); "
        "ALTER TABLE trades RESET (fillfactor); "
        "DROP INDEX audit_log_prunable; "
        "CREATE INDEX audit_log_timestamp ON audit_log USING brin (\"timestamp\"); "
        "ALTER TABLE audit_log DROP COLUMN recorded_at, DROP COLUMN counter_party_id, "
        "DROP COLUMN book_id, DROP COLUMN maturity_date, DROP COLUMN created_date, "
        "DROP COLUMN expired, DROP COLUMN business_date; DROP TABLE book_departures; "
        "ALTER TABLE trades DROP COLUMN former_books; DROP TABLE change_outbox; "
        "DROP FUNCTION prune_history(timestamptz, bigint); "
        "DELETE FROM schema_version WHERE version >= 5");
    auto second = open_store();
    EXPECT_EQ(raw_.scalar("SELECT max(version) FROM schema_version"), "9");
    EXPECT_EQ(raw_.scalar("SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
                          "WHERE schemaname = $1 AND tablename = 'trades'",
                          {env_.schema()}),
              "trades_book_expired_maturity,trades_maturity_date,trades_pkey");
    EXPECT_EQ(raw_.scalar("SELECT array_to_string(reloptions, ',') FROM pg_class "
                          "WHERE oid = ($1 || '.trades')::regclass",
                          {env_.schema()}),
              "fillfactor=90");
    ASSERT_TRUE(second->get("V4-B", kToday));
    EXPECT_EQ(second->get("V4-B", kToday)->version, 3);
    ASSERT_EQ(second->list_by_book("BOOK-A", kToday).size(), 1U);
    EXPECT_EQ(apply(*second, batch_of({make_trade("V4-A", 2, "BOOK-B")})).at(0).outcome,
              Outcome::Updated);
    EXPECT_EQ(second->list_by_book("BOOK-B", kToday).size(), 2U);
}

// A database of schema version 6 (history, no book_departures) learns at the upgrade which
// books its trades left, from their history: a trade that moved and one that was deleted are
// in their old book's snapshot before, and the audit of one trade is still in id order.
TEST_F(PostgresStoreTest, AVersionSixSchemaFindsTheBooksItsTradesLeft) {
    {
        auto first = open_store();
        apply(*first, batch_of({make_trade("M", 1, "OLD"), make_trade("D", 1, "OLD"),
                                make_trade("S", 1, "OLD")}));
        apply(*first, batch_of({make_trade("M", 2, "NEW")}));
        ASSERT_TRUE(first->remove("D", "rest", "del-D"));
    }
    raw_.execute(
        "DROP TABLE book_departures; ALTER TABLE trades DROP COLUMN former_books; "
        "CREATE INDEX audit_log_trade_id ON audit_log (trade_id, id); "
        "DROP INDEX audit_log_trade_recorded; DROP TABLE change_outbox; "
        "DROP FUNCTION prune_history(timestamptz, bigint); "
        "DELETE FROM schema_version WHERE version >= 7");
    auto second = open_store();
    EXPECT_EQ(raw_.scalar("SELECT max(version) FROM schema_version"), "9");
    EXPECT_EQ(raw_.scalar("SELECT string_agg(book_id || ':' || trade_id, ',' "
                          "ORDER BY book_id, trade_id) FROM book_departures"),
              "OLD:D,OLD:M");
    ASSERT_NE(second->trade_history(), nullptr);
    const auto m = contract::history_of(*second, "M");
    ASSERT_EQ(m.size(), 2u);
    const auto ids = [](const std::vector<HistoryRecord>& records) {
        std::vector<std::string> out;
        for (const HistoryRecord& r : records) out.push_back(r.trade.trade_id);
        return out;
    };
    const Timestamp later = m[1].recorded_at + std::chrono::hours{1};
    EXPECT_THAT(ids(second->trade_history()->book_at("OLD", m[0].recorded_at)),
                ElementsAre("D", "M", "S"));
    EXPECT_THAT(ids(second->trade_history()->book_at("OLD", later)), ElementsAre("S"));
    EXPECT_THAT(ids(second->trade_history()->book_at("NEW", later)), ElementsAre("M"));
}

// apply()'s statements never scan trades, even when their plans were cached while the table
// held a page: on a fresh database a prepared statement's generic plan, costed at its sixth
// run, kept a sequential scan until autoanalyze (ReadState 34 us -> 3.3 ms per batch under
// load). Counted by the table's own statistics, flushed when the store's connections end.
TEST_F(PostgresStoreTest, ApplyNeverScansTradesAfterItsPlansWereCachedOnATinyTable) {
    const auto counter = [this](const std::string& column) {
        return std::stoll(raw_.scalar("SELECT " + column +
                                          " FROM pg_stat_user_tables WHERE relid = "
                                          "($1 || '.trades')::regclass",
                                      {env_.schema()}));
    };
    // A backend reports its table statistics when it exits (and within seconds while it
    // runs): wait until the inserts show, then read the scans made with them.
    const auto seq_scans_once = [&](std::int64_t inserts) {
        for (int i = 0; i < 300 && counter("n_tup_ins") < inserts; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds{50});
        }
        EXPECT_GE(counter("n_tup_ins"), inserts);
        return counter("seq_scan");
    };
    // One connection, so that its statements run, and are planned, many times.
    plugins::PostgresStoreOptions options = env_.options();
    options.pool.pool_size = 1;
    options.pool.max_overflow = 0;
    auto store = open_store(options);
    ASSERT_EQ(apply(*store, batch_of({make_trade("FIRST", 1)})).at(0).outcome, Outcome::Created);
    store->close();  // what the schema's creation scanned, reported at the backend's exit
    const std::int64_t before = seq_scans_once(1);

    store->open();
    // Batches of ten ids, as a REST group commit under load makes them: with a table of a
    // page or two, the generic plan (ten rows assumed) then looks no worse than the custom
    // ones and is kept.
    const auto batch_of_ten = [](const std::string& prefix, int batch, std::int64_t version) {
        std::vector<Trade> trades;
        for (int i = 0; i < 10; ++i) {
            trades.push_back(
                make_trade(prefix + std::to_string(batch) + "-" + std::to_string(i), version));
        }
        return batch_of(std::move(trades));
    };
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(apply(*store, batch_of_ten("TINY-", i, 1)).at(9).outcome, Outcome::Created);
    }
    raw_.execute(
        "INSERT INTO trades (trade_id, version, counter_party_id, book_id, maturity_date, "
        "created_date, expired, last_updated) SELECT 'BULK-' || i, 1, 'CP', 'B1', "
        "DATE '2027-01-01', DATE '2026-11-01', false, now() FROM generate_series(1, 20000) i");
    for (int i = 0; i < 12; ++i) {
        ASSERT_EQ(apply(*store, batch_of_ten("NEW-", i, 1)).at(9).outcome, Outcome::Created);
    }
    store->close();
    EXPECT_EQ(seq_scans_once(1 + 120 + 20000 + 120), before);
}

// The read queries that filter trades keep an index after version 5 dropped three: by book
// through the composite index, expiry's maturity range through trades_maturity_date.
TEST_F(PostgresStoreTest, TheReadQueriesUseTheIndexesThatRemain) {
    auto store = open_store();
    raw_.execute(
        "INSERT INTO trades (trade_id, version, counter_party_id, book_id, maturity_date, "
        "created_date, expired, last_updated) "
        "SELECT 'T' || i, 1, 'CP-' || (i % 97), 'BOOK-' || (i % 500), "
        "DATE '2026-12-01' + (i % 3000), DATE '2026-11-01', false, now() "
        "FROM generate_series(1, 50000) i");
    raw_.execute("ANALYZE trades");
    const auto plan = [this](plugins::pg::Query query, const std::vector<std::string>& params) {
        std::string text;
        for (const auto& row :
             raw_.query("EXPLAIN " + std::string(plugins::pg::sql(query)), params)) {
            text += row.at(0).value_or("") + "\n";
        }
        return text;
    };
    const std::string by_book = plan(plugins::pg::Query::ListTradesByBook, {"BOOK-7"});
    EXPECT_THAT(by_book, HasSubstr("trades_book_expired_maturity")) << by_book;
    EXPECT_THAT(by_book, ::testing::Not(HasSubstr("Seq Scan on trades"))) << by_book;
    // A trade's history: its version entries through audit_log_trade_recorded, never a scan.
    raw_.execute(
        "INSERT INTO audit_log (trade_id, action, status, source, \"timestamp\", recorded_at, "
        "book_id) SELECT 'T' || (i % 5000), 'UPDATE', 'success', 'kafka', now(), now(), 'B' "
        "FROM generate_series(1, 50000) i");
    raw_.execute("ANALYZE audit_log");
    const std::string history =
        plan(plugins::pg::Query::HistoryByTrade, {"T7", "0", "4000000000000000", "100", "0"});
    EXPECT_THAT(history, HasSubstr("audit_log_trade_recorded")) << history;
    EXPECT_THAT(history, ::testing::Not(HasSubstr("Seq Scan"))) << history;
    // As of an instant: one probe per trade, for one trade, a book or all of them; a book's
    // trades come from one scan of trades (its book now or before: no index is kept up for
    // former books) and book_departures, never from scanning the audit.
    raw_.execute(
        "INSERT INTO book_departures SELECT 'BOOK-' || (i % 500), 'T' || i "
        "FROM generate_series(1, 5000) i");
    raw_.execute("ANALYZE book_departures");
    const std::string instant = "1800000000000000";
    const std::string at = plan(plugins::pg::Query::HistoryAt, {"T7", instant});
    EXPECT_THAT(at, HasSubstr("Index Scan Backward using audit_log_trade_recorded")) << at;
    const std::string book_at = plan(plugins::pg::Query::BookAt, {"BOOK-7", instant});
    EXPECT_THAT(book_at, HasSubstr("audit_log_trade_recorded")) << book_at;
    EXPECT_THAT(book_at, HasSubstr("book_departures_pkey")) << book_at;
    EXPECT_THAT(book_at, ::testing::Not(HasSubstr("Seq Scan on audit_log"))) << book_at;
    const std::string trades_at = plan(plugins::pg::Query::TradesAt, {instant, "100", "0"});
    EXPECT_THAT(trades_at, HasSubstr("audit_log_trade_recorded")) << trades_at;
    EXPECT_THAT(trades_at, ::testing::Not(HasSubstr("Seq Scan on audit_log"))) << trades_at;
    // Pruning (prune_shipped_audit's query) visits only the entries it may delete.
    std::string prune;
    for (const auto& row :
         raw_.query("EXPLAIN SELECT id FROM audit_log WHERE shipped AND recorded_at IS NULL "
                    "AND \"timestamp\" < now() LIMIT 10000")) {
        prune += row.at(0).value_or("") + "\n";
    }
    EXPECT_THAT(prune, HasSubstr("audit_log_prunable")) << prune;
    const std::string expire = plan(plugins::pg::Query::Expire, {"2026-12-05", "job", "0"});
    EXPECT_THAT(expire, HasSubstr("trades_maturity_date")) << expire;
    EXPECT_THAT(expire, ::testing::Not(HasSubstr("Seq Scan on trades"))) << expire;
}

// ---- hostile text --------------------------------------------------------------------------

const std::vector<std::string>& hostile_texts() {
    static const std::vector<std::string> texts = {
        "a'b",
        "a''b",
        "x\"y",
        "back\\slash",
        "\\N",
        "semi;colon",
        "--comment",
        "Robert'); DROP TABLE trades;--",
        "{braces}",
        "com,ma",
        "NULL",
        " padded ",
        "tab\there",
        "new\nline",
        "$1",
        "%_*?",
        "\xc3\xbc-umlaut",
        "\xe6\x97\xa5\xe6\x9c\xac",
        "\xf0\x9f\x98\x80 emoji",
        std::string(5000, 'L') + "\xc3\xa9",
    };
    return texts;
}

TEST_F(PostgresStoreTest, HostileIdsBooksAndReferencesAreStoredVerbatim) {
    auto store = open_store();
    const auto& texts = hostile_texts();
    Batch batch;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        batch.candidates.push_back(
            {make_trade(texts[i], 1, texts[(i + 1) % texts.size()]), texts[i], texts[i], {}});
    }
    for (const ItemResult& result : apply(*store, batch)) {
        ASSERT_EQ(result.outcome, Outcome::Created);
    }

    for (std::size_t i = 0; i < texts.size(); ++i) {
        SCOPED_TRACE("text " + std::to_string(i));
        const auto got = store->get(texts[i], kToday);
        ASSERT_TRUE(got);
        EXPECT_EQ(got->trade_id, texts[i]);
        EXPECT_EQ(got->book_id, texts[(i + 1) % texts.size()]);
        const auto by_book = store->list_by_book(texts[(i + 1) % texts.size()], kToday);
        ASSERT_EQ(by_book.size(), 1u);
        EXPECT_EQ(by_book[0].trade_id, texts[i]);
        const auto audit = store->audit(AuditQuery{texts[i], 0, 10});
        ASSERT_EQ(audit.size(), 1u);
        EXPECT_EQ(audit[0].trade_id, texts[i]);
        EXPECT_EQ(audit[0].source, texts[i]);
        EXPECT_EQ(audit[0].reference, texts[i]);
        EXPECT_EQ(audit[0].message, "Trade " + texts[i] + ": version 1 created");
        // Byte for byte in the table, as any other client sees it.
        EXPECT_EQ(raw_.scalar("SELECT book_id FROM trades WHERE trade_id = $1", {texts[i]}),
                  texts[(i + 1) % texts.size()]);
    }
    std::vector<std::string> sorted = texts;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::string> listed;
    for (const Trade& trade : store->list(0, 100, kToday)) listed.push_back(trade.trade_id);
    EXPECT_EQ(listed, sorted);
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM trades"), std::to_string(texts.size()));

    // Deleted, tombstoned and restored under the same hostile ids.
    for (const std::string& id : texts) ASSERT_TRUE(store->remove(id, "rest", id));
    for (const ItemResult& result : apply(*store, batch)) {
        ASSERT_EQ(result.outcome, Outcome::Rejected);
        EXPECT_EQ(result.reasons.at(0).code, "DELETED_VERSION");
    }
    Batch restore;
    for (const std::string& id : texts)
        restore.candidates.push_back({make_trade(id, 2), "r", id, {}});
    for (const ItemResult& result : apply(*store, restore)) {
        EXPECT_EQ(result.outcome, Outcome::Created);
    }
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM trade_tombstones"), "0");
}

TEST_F(PostgresStoreTest, HostilePositionKeysRoundTrip) {
    auto store = open_store();
    Batch batch;
    for (std::size_t i = 0; i < hostile_texts().size(); ++i) {
        batch.positions.push_back({hostile_texts()[i], hostile_texts()[i],
                                   static_cast<std::int32_t>(i), static_cast<std::int64_t>(i)});
    }
    apply(*store, batch);
    for (std::size_t i = 0; i < hostile_texts().size(); ++i) {
        EXPECT_EQ(
            store->position(hostile_texts()[i], hostile_texts()[i], static_cast<std::int32_t>(i)),
            static_cast<std::int64_t>(i));
    }
}

// The lock of a partition's position row is a primary-key lookup per partition, never a scan
// of every partition of every source, both as planned for given keys and as a generic plan.
TEST_F(PostgresStoreTest, ThePositionLockIsAPrimaryKeyLookup) {
    auto store = open_store();
    raw_.execute(
        "INSERT INTO source_positions (source, stream, \"partition\", \"offset\") "
        "SELECT 'kafka', 'topic-' || (i / 100), i % 100, i FROM generate_series(1, 20000) i");
    raw_.execute("ANALYZE source_positions");
    const std::string lock = plugins::pg::sql(plugins::pg::Query::LockPositions);
    const auto plan_text = [this](const std::string& sql, const std::vector<std::string>& params) {
        std::string text;
        for (const auto& row : raw_.query(sql, params)) text += row.at(0).value_or("") + "\n";
        return text;
    };
    const std::string custom =
        plan_text("EXPLAIN " + lock, {R"({"kafka","kafka"})", R"({"topic-3","topic-4"})", "{7,8}"});
    EXPECT_THAT(custom, HasSubstr("Index Scan using source_positions_pkey on source_positions"));
    EXPECT_THAT(custom, ::testing::Not(HasSubstr("Seq Scan on source_positions")));

    raw_.execute("SET plan_cache_mode = force_generic_plan");
    raw_.execute("PREPARE lock_positions(text[], text[], int[]) AS " + lock);
    const std::string generic =
        plan_text(R"(EXPLAIN EXECUTE lock_positions('{"kafka"}', '{"topic-3"}', '{7}'))", {});
    EXPECT_THAT(generic, HasSubstr("Index Scan using source_positions_pkey on source_positions"));
    EXPECT_THAT(generic, ::testing::Not(HasSubstr("Seq Scan on source_positions")));
}

TEST_F(PostgresStoreTest, ArrayLiteralsRoundTripThroughTheServer) {
    std::vector<std::string> texts = hostile_texts();
    texts.push_back("");
    texts.push_back("\"");
    texts.push_back("\\");
    texts.push_back("\\\"");
    texts.push_back("}");
    plugins::pg::ArrayLiteral array;
    for (const std::string& text : texts) array.add(text);
    array.add_null();
    const auto rows = raw_.query(
        "SELECT u FROM unnest($1::text[]) WITH ORDINALITY AS a(u, n) "
        "ORDER BY n",
        {array.take()});
    ASSERT_EQ(rows.size(), texts.size() + 1);
    for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(rows[i][0], texts[i]) << i;
    EXPECT_FALSE(rows.back()[0]);  // the NULL element, not the text "NULL"
}

TEST_F(PostgresStoreTest, NulBytesAreRefusedNotTruncated) {
    auto store = open_store();
    EXPECT_THROW(apply(*store, batch_of({make_trade(std::string("T\0X", 3), 1)})), StoreRefused);
    EXPECT_EQ(store->statistics(kToday).total_trades, 0);
    EXPECT_TRUE(store->healthy());
}

// Data the server refuses (SQLSTATE classes 22, 23, 54) is StoreRefused, never
// StoreUnavailable (a retry would fail the same way), and nothing of its batch commits.
TEST_F(PostgresStoreTest, DataTheServerCannotHoldIsRefusedAndNothingOfTheBatchCommits) {
    auto store = open_store();
    // 8,000 bytes that do not compress: beyond the audit_log trade_id btree's 2,704 (54000).
    std::string huge;
    std::uint32_t state = 14;
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    while (huge.size() < 8000) {
        state = state * 1664525u + 1013904223u;
        huge += kAlphabet[(state >> 8) % (sizeof(kAlphabet) - 1)];
    }
    Batch batch = batch_of({make_trade("OK-1", 1)});
    batch.positions.push_back({"kafka", "trades", 0, 5});
    AuditEntry letter;
    letter.trade_id = huge;
    letter.action = AuditAction::ValidationFailed;
    letter.success = false;
    letter.reason_codes = {"INVALID_KEY"};
    letter.source = "kafka";
    letter.reference = "trades/0/4";
    letter.origin = {"trades", 0, 4};
    batch.audit_only.push_back(letter);
    try {
        apply(*store, batch);
        FAIL() << "an 8,000-byte indexed value was accepted";
    } catch (const StoreRefused& error) {
        EXPECT_THAT(error.what(), HasSubstr("54000"));
    }
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM trades"), "0");
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM audit_log"), "0");
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM source_positions"), "0");
    EXPECT_EQ(store->position("kafka", "trades", 0), std::nullopt);

    // Invalid UTF-8 (22021) is refused the same way.
    try {
        apply(*store, batch_of({make_trade("OK-2", 1), make_trade("BAD-\xff\xfe", 1)}));
        FAIL() << "invalid UTF-8 was accepted";
    } catch (const StoreRefused& error) {
        EXPECT_THAT(error.what(), HasSubstr("22021"));
    }
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM trades"), "0");

    // The store is fine: the same batch without the refused entry goes through.
    batch.audit_only.clear();
    EXPECT_EQ(apply(*store, batch).at(0).outcome, Outcome::Created);
    EXPECT_EQ(store->position("kafka", "trades", 0), 5);
    EXPECT_TRUE(store->healthy());
}

// ---- limits: lock waits, the pool ----------------------------------------------------------

// Holds the advisory lock of a trade id, as a writer of that id in another process would.
// Advisory locks are per database, and every test has a schema of its own in one database:
// each test holds the lock of an id no other test uses, so parallel tests do not wait on it.
class HeldLock {
  public:
    HeldLock(const std::string& uri, const std::string& trade_id) : connection_(uri) {
        connection_.execute("BEGIN");
        connection_.query("SELECT pg_advisory_xact_lock($1::bigint)",
                          {std::to_string(plugins::pg::lock_key(trade_id))});
    }
    void release() { connection_.execute("COMMIT"); }

    // How many other sessions wait for this trade id's lock.
    static int waiters(RawConnection& connection, const std::string& trade_id) {
        const auto key = static_cast<std::uint64_t>(plugins::pg::lock_key(trade_id));
        return std::stoi(connection.scalar(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
            "classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
            {std::to_string(key >> 32), std::to_string(key & 0xffffffffu)}));
    }

  private:
    RawConnection connection_;
};

TEST_F(PostgresStoreTest, ALockWaitEndsAtTheStatementTimeoutWithStoreUnavailable) {
    auto options = env_.options();
    options.pool.connection.statement_timeout = milliseconds{400};
    auto store = open_store(options);
    HeldLock lock(env_.uri(), "LOCKWAIT-1");

    const auto start = steady_clock::now();
    try {
        apply(*store, batch_of({make_trade("T0", 1), make_trade("LOCKWAIT-1", 1)}));
        FAIL() << "apply() did not wait for the lock";
    } catch (const StoreUnavailable& error) {
        EXPECT_THAT(error.what(), HasSubstr("statement timeout"));
    }
    const auto waited = steady_clock::now() - start;
    EXPECT_GE(waited, milliseconds{350});
    EXPECT_LT(waited, milliseconds{3000});
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM trades"), "0");
    EXPECT_EQ(raw_.scalar("SELECT count(*) FROM audit_log"), "0");

    // Other ids are not held up, and once the lock goes the same batch goes through.
    EXPECT_EQ(apply(*store, batch_of({make_trade("T2", 1)})).at(0).outcome, Outcome::Created);
    lock.release();
    const auto results =
        apply(*store, batch_of({make_trade("T0", 1), make_trade("LOCKWAIT-1", 1)}));
    EXPECT_EQ(results.at(1).outcome, Outcome::Created);
    EXPECT_TRUE(store->healthy());
}

TEST_F(PostgresStoreTest, WaitingForAConnectionEndsAtThePoolTimeout) {
    auto options = env_.options();
    options.pool.pool_size = 1;
    options.pool.max_overflow = 0;
    options.pool.pool_timeout = milliseconds{300};
    auto store = open_store(options);
    HeldLock lock(env_.uri(), "POOLWAIT-1");

    // The only connection waits for POOLWAIT-1's lock.
    auto blocked = std::async(std::launch::async, [&] {
        return apply(*store, batch_of({make_trade("POOLWAIT-1", 1)})).at(0).outcome;
    });
    while (HeldLock::waiters(raw_, "POOLWAIT-1") < 1) std::this_thread::sleep_for(milliseconds{10});
    const auto start = steady_clock::now();
    try {
        store->get("T2", kToday);
        FAIL() << "got a connection from an exhausted pool";
    } catch (const StoreUnavailable& error) {
        EXPECT_THAT(error.what(), HasSubstr("no database connection became free"));
    }
    EXPECT_LT(steady_clock::now() - start, milliseconds{2000});
    lock.release();
    EXPECT_EQ(blocked.get(), Outcome::Created);
    EXPECT_EQ(store->open_connections(), 1u);
}

TEST_F(PostgresStoreTest, OverflowConnectionsAreClosedWhenTheyComeBack) {
    auto options = env_.options();
    options.pool.pool_size = 2;
    options.pool.max_overflow = 3;
    options.pool.connection.application_name = "overflow-" + env_.schema();
    auto store = open_store(options);
    const auto connections = [&] {
        return std::stoi(
            raw_.scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                        "application_name = $1",
                        {options.pool.connection.application_name}));
    };
    HeldLock lock(env_.uri(), "OVERFLOW-1");
    std::vector<std::future<Outcome>> writers;
    for (int i = 0; i < 5; ++i) {
        writers.push_back(std::async(std::launch::async, [&, i] {
            return apply(*store, batch_of({make_trade("OVERFLOW-1", i + 1)})).at(0).outcome;
        }));
    }
    while (HeldLock::waiters(raw_, "OVERFLOW-1") < 5) std::this_thread::sleep_for(milliseconds{10});
    EXPECT_EQ(store->open_connections(), 5u);
    EXPECT_EQ(connections(), 5);
    lock.release();
    int created = 0;
    for (auto& writer : writers) created += writer.get() == Outcome::Created ? 1 : 0;
    EXPECT_EQ(created, 1);
    EXPECT_EQ(store->open_connections(), 2u);  // pool_size kept, the overflow closed
    for (int attempt = 0; attempt < 100 && connections() != 2; ++attempt) {
        std::this_thread::sleep_for(milliseconds{10});  // the server notices the closes
    }
    EXPECT_EQ(connections(), 2);
}

TEST_F(PostgresStoreTest, ConnectionsTerminatedByTheServerAreReplacedWithoutAnError) {
    auto options = env_.options();
    options.pool.connection.application_name = "terminated-" + env_.schema();
    auto store = open_store(options);
    // Several pooled connections, all idle.
    std::vector<std::future<void>> readers;
    for (int i = 0; i < 4; ++i) {
        readers.push_back(std::async(std::launch::async, [&] { store->statistics(kToday); }));
    }
    for (auto& reader : readers) reader.get();
    ASSERT_GE(store->open_connections(), 1u);

    EXPECT_NE(raw_.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE application_name = $1",
                          {options.pool.connection.application_name}),
              "0");
    std::this_thread::sleep_for(milliseconds{100});  // the terminations reach the sockets

    EXPECT_EQ(apply(*store, batch_of({make_trade("T1", 1)})).at(0).outcome, Outcome::Created);
    EXPECT_TRUE(store->get("T1", kToday));
    EXPECT_TRUE(store->healthy());
    EXPECT_EQ(store->audit_count(std::nullopt), 1);
}

// ---- transactions --------------------------------------------------------------------------

TEST_F(PostgresStoreTest, ALaterBatchSeesWhatAnotherInstanceCommitted) {
    auto first = open_store();
    auto second = open_store();
    apply(*first, batch_of({make_trade("T1", 5)}));
    const auto results = apply(*second, batch_of({make_trade("T1", 4), make_trade("T1", 6)}));
    EXPECT_EQ(results.at(0).outcome, Outcome::Rejected);
    EXPECT_EQ(results.at(0).previous_version, 5);
    EXPECT_EQ(results.at(1).outcome, Outcome::Updated);
    ASSERT_TRUE(first->remove("T1", "rest", "del"));
    EXPECT_EQ(apply(*second, batch_of({make_trade("T1", 6)})).at(0).reasons.at(0).code,
              "DELETED_VERSION");
}

TEST_F(PostgresStoreTest, TimestampsAreStoredAsTimestamptzToTheMicrosecond) {
    auto store = open_store();
    const auto result = apply(*store, batch_of({make_trade("T1", 1)})).at(0);
    ASSERT_TRUE(result.stored);
    const std::int64_t micros = result.stored->last_updated.time_since_epoch().count();
    EXPECT_EQ(raw_.scalar("SELECT (EXTRACT(EPOCH FROM last_updated) * 1000000)::bigint FROM "
                          "trades"),
              std::to_string(micros));
    EXPECT_EQ(raw_.scalar("SELECT pg_typeof(last_updated)::text FROM trades"),
              "timestamp with time zone");
    EXPECT_EQ(raw_.scalar("SELECT maturity_date::text FROM trades"),
              format_date(kToday + std::chrono::days{30}));
}

}  // namespace
}  // namespace tradestore::pgtest
