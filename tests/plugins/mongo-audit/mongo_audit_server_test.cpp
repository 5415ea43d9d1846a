// The mongo-audit shipper against a real MongoDB wire-protocol server (FerretDB from the
// mongo_server fixture, or TRADESTORE_TEST_MONGO_URI), each test in a database of its own,
// with a real SQLite store as the outbox.
#include <gmock/gmock.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "audit_documents.h"
#include "audit_shipper.h"
#include "mongo_audit_job.h"
#include "mongo_event_reader.h"
#include "mongo_test_support.h"
#include "temp_sqlite_store.h"
#include "trade_rules.h"

namespace tradestore::mongo_test {
namespace {

using namespace std::chrono_literals;
using plugins::mongo::apply_retention;
using plugins::mongo::AuditShipper;
using plugins::mongo::Event;
using plugins::mongo::MongoAuditJob;
using plugins::mongo::MongoAuditSettings;
using plugins::mongo::MongoSink;
using plugins::mongo::ShipReport;
using plugins::mongo::to_millis;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kAudit = "audit_logs";
constexpr const char* kEvents = "trade_events";

std::chrono::steady_clock::time_point no_deadline() {
    return std::chrono::steady_clock::now() + 1h;
}

std::vector<AuditEntry> all_audit(Store& store) {
    return store.audit(AuditQuery{std::nullopt, 0, 1'000'000});
}

Candidate candidate(std::string id, std::int64_t version,
                    Date maturity = kToday + std::chrono::days{30}, std::string reference = "req") {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = "B1";
    trade.maturity_date = maturity;
    trade.created_date = kToday;
    return Candidate{std::move(trade), "rest", std::move(reference), {}};
}

// Ships everything with batches of `batch_size`; returns the report.
ShipReport ship_all(MongoSink& sink, AuditOutbox& store, std::int64_t batch_size = 1000) {
    AuditShipper shipper(sink, batch_size);
    ShipReport report;
    shipper.ship(store, no_deadline(), report);
    return report;
}

void expect_document_matches(const bson_t* doc, const AuditEntry& entry) {
    SCOPED_TRACE("audit id " + std::to_string(entry.id));
    EXPECT_EQ(int_field(doc, "_id"), entry.id);
    EXPECT_EQ(text_field(doc, "trade_id"), entry.trade_id);
    EXPECT_EQ(text_field(doc, "action"), to_string(entry.action));
    EXPECT_EQ(text_field(doc, "status"), entry.success ? "success" : "failed");
    EXPECT_EQ(text_array(doc, "details.reason_codes"), entry.reason_codes);
    EXPECT_EQ(text_field(doc, "details.message"), entry.message);
    if (entry.received_version) {
        EXPECT_EQ(int_field(doc, "details.received_version"), *entry.received_version);
    } else {
        EXPECT_TRUE(is_null(doc, "details.received_version"));
    }
    if (entry.stored_version) {
        EXPECT_EQ(int_field(doc, "details.stored_version"), *entry.stored_version);
    } else {
        EXPECT_TRUE(is_null(doc, "details.stored_version"));
    }
    EXPECT_EQ(text_field(doc, "details.reference"), entry.reference);
    EXPECT_EQ(text_field(doc, "source"), entry.source);
    EXPECT_EQ(date_field(doc, "timestamp"), to_millis(entry.timestamp));
}

class MongoAuditServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        TRADESTORE_REQUIRE_MONGO();
        database_ = std::make_unique<ScratchDatabase>();
        sink_ = std::make_unique<MongoSink>(database_->uri(), database_->name());
        // A server that is there but cannot be reached fails every test, CI or not.
        ASSERT_NO_THROW(sink_->ping()) << "the MongoDB test server does not answer";
    }

    ScratchDatabase& db() { return *database_; }
    MongoSink& sink() { return *sink_; }

    TempSqliteStore store_;
    plugins::TradeRules rules_{true, true};
    std::vector<const Rule*> chain_{&rules_};

  private:
    std::unique_ptr<ScratchDatabase> database_;
    std::unique_ptr<MongoSink> sink_;
};

TEST_F(MongoAuditServerTest, EveryDecisionIsShippedOnceInIdOrderWithItsFields) {
    plugins::SqliteStore& store = store_.store();
    {
        Batch batch;
        batch.candidates = {candidate("A", 1),
                            candidate("B", 2),
                            candidate("A", 3, kToday + std::chrono::days{5}),
                            candidate("A", 2),
                            candidate("A", 3, kToday + std::chrono::days{5}),
                            candidate("C", 1, kToday - std::chrono::days{1})};
        AuditEntry dead_letter;
        dead_letter.action = AuditAction::ValidationFailed;
        dead_letter.success = false;
        dead_letter.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
        dead_letter.message = "Message at trades/0/3 is not JSON";
        dead_letter.source = "kafka";
        dead_letter.reference = "trades/0/3";
        batch.audit_only.push_back(dead_letter);
        store.apply(batch, chain_, kToday);
    }
    ASSERT_TRUE(store.remove("B", "rest", "del-B"));
    store.apply(Batch{{candidate("B", 2)}, {}, {}, {}}, chain_, kToday);  // DELETED_VERSION
    ASSERT_EQ(store.expire(kToday + std::chrono::days{6}, "job"), 1);

    const auto audit = all_audit(store);
    ASSERT_EQ(audit.size(), 10u);
    const ShipReport report = ship_all(sink(), store, 3);  // several batches
    EXPECT_EQ(report.shipped, 10);
    EXPECT_EQ(report.batches, 4);
    EXPECT_TRUE(report.drained);
    EXPECT_THAT(store.unshipped_audit(100), IsEmpty());

    const auto documents = db().find(kAudit);
    ASSERT_EQ(documents.size(), audit.size());
    for (std::size_t i = 0; i < audit.size(); ++i) {
        expect_document_matches(documents[i].get(), audit[i]);
    }
    // Each trade's entries in order, by timestamp as by id.
    const auto a_entries =
        db().find(kAudit, R"({"trade_id": "A"})", R"({"timestamp": 1, "_id": 1})");
    std::vector<std::string> actions;
    for (const auto& doc : a_entries) actions.push_back(text_field(doc.get(), "action"));
    EXPECT_THAT(actions, ElementsAre("CREATE", "UPDATE", "VALIDATION_FAILED", "REPLACE", "EXPIRE"));

    // Shipping again finds nothing to do.
    EXPECT_EQ(ship_all(sink(), store).shipped, 0);
    EXPECT_EQ(db().count(kAudit), 10);
}

TEST_F(MongoAuditServerTest, IndexesOnTradeIdAndTimestampAreCreated) {
    sink().ensure_indexes();
    EXPECT_THAT(db().index_names(kAudit), Contains("trade_id_1"));
    EXPECT_THAT(db().index_names(kAudit), Contains("timestamp_1"));
    EXPECT_THAT(db().index_names(kEvents), Contains("timestamp_1"));
    EXPECT_THAT(db().index_names(kEvents), Contains("event_type_1_timestamp_1"));
    // Again, from another client: creating existing indexes is harmless.
    MongoSink again(db().uri(), db().name());
    EXPECT_NO_THROW(again.ensure_indexes());
}

TEST_F(MongoAuditServerTest, AResendAfterACrashBeforeTheMarkWritesNothingTwice) {
    plugins::SqliteStore& store = store_.store();
    store_.create_trades(1, 50);
    // The crash: half of the backlog reached MongoDB, and the store never heard of it.
    const auto pending = store.unshipped_audit(25);
    const auto first = sink().insert_audit(pending);
    EXPECT_EQ(first.inserted, 25);
    EXPECT_EQ(first.already_there, 0);

    const ShipReport report = ship_all(sink(), store, 20);
    EXPECT_EQ(report.shipped, 50);
    EXPECT_EQ(report.already_there, 25);
    EXPECT_EQ(db().count(kAudit), 50);

    // Resending everything once more: every document is already there.
    const auto all = all_audit(store);
    const auto again = sink().insert_audit(all);
    EXPECT_EQ(again.inserted, 0);
    EXPECT_EQ(again.already_there, 50);
    EXPECT_EQ(db().count(kAudit), 50);
    const auto documents = db().find(kAudit);
    ASSERT_EQ(documents.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        expect_document_matches(documents[i].get(), all[i]);
}

TEST_F(MongoAuditServerTest, TradesExpiredCountsTheWholeRunEvenAcrossBatchesAndRuns) {
    plugins::SqliteStore& store = store_.store();
    store_.create_trades(1, 25, kToday + std::chrono::days{1});
    store_.create_trades(100, 3, kToday + std::chrono::days{2});
    store_.create_trades(200, 4, kToday + std::chrono::days{30});
    ship_all(sink(), store);

    ASSERT_EQ(store.expire(kToday + std::chrono::days{2}, "job"), 25);
    // One batch of 10 only (the deadline has passed): the event counts what has arrived...
    AuditShipper shipper(sink(), 10);
    ShipReport partial;
    shipper.ship(store, std::chrono::steady_clock::now(), partial);
    EXPECT_EQ(partial.shipped, 10);
    auto events = db().find(kEvents, R"({"event_type": "TRADES_EXPIRED"})");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(int_field(events[0].get(), "data.count"), 10);
    // ...and the whole run once the rest has.
    ship_all(sink(), store, 10);
    events = db().find(kEvents, R"({"event_type": "TRADES_EXPIRED"})");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(int_field(events[0].get(), "data.count"), 25);
    EXPECT_EQ(text_field(events[0].get(), "severity"), "INFO");
    EXPECT_EQ(text_field(events[0].get(), "data.source"), "job");
    EXPECT_EQ(text_field(events[0].get(), "data.business_date"), "2026-11-26");

    // The next day's run is an event of its own; a run that expires nothing writes none.
    ASSERT_EQ(store.expire(kToday + std::chrono::days{3}, "rest"), 3);
    ASSERT_EQ(store.expire(kToday + std::chrono::days{3}, "job"), 0);
    ship_all(sink(), store, 10);
    events = db().find(kEvents, R"({"event_type": "TRADES_EXPIRED"})", R"({"timestamp": 1})");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(int_field(events[1].get(), "data.count"), 3);
    EXPECT_EQ(text_field(events[1].get(), "data.source"), "rest");

    // Resending the run's entries leaves the count as it is.
    sink().insert_audit(all_audit(store));
    ship_all(sink(), store);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "TRADES_EXPIRED"})"), 2);
}

TEST_F(MongoAuditServerTest, DeadLetteredEntriesAreEventsToo) {
    plugins::SqliteStore& store = store_.store();
    Batch batch;
    AuditEntry dead_letter;
    dead_letter.action = AuditAction::ValidationFailed;
    dead_letter.success = false;
    dead_letter.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    dead_letter.message = "not JSON";
    dead_letter.source = "kafka";
    dead_letter.reference = "trades/1/9";
    batch.audit_only.push_back(dead_letter);
    store.apply(batch, chain_, kToday);
    const ShipReport report = ship_all(sink(), store);
    EXPECT_EQ(report.events, 1);
    const auto events = db().find(kEvents, R"({"event_type": "DEAD_LETTERED"})");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(text_field(events[0].get(), "severity"), "WARNING");
    EXPECT_EQ(text_field(events[0].get(), "data.reference"), "trades/1/9");
    EXPECT_EQ(int_field(events[0].get(), "data.audit_id"), all_audit(store)[0].id);
}

TEST_F(MongoAuditServerTest, RetentionDeletesExactlyTheDocumentsOlderThanTheCutOff) {
    const Timestamp cutoff = std::chrono::floor<std::chrono::milliseconds>(
        Timestamp{std::chrono::microseconds{1'760'000'000'000'000}});
    int next_id = 1;
    for (const char* collection : {kAudit, kEvents}) {
        for (const std::chrono::milliseconds offset :
             std::initializer_list<std::chrono::milliseconds>{-24h * 400, -1ms, 0ms, 1ms, 24h}) {
            BsonPtr document(BCON_NEW("_id", BCON_INT64(next_id++), "timestamp",
                                      BCON_DATE_TIME(to_millis(cutoff + offset))));
            db().insert(collection, document.get());
        }
    }
    const auto report =
        apply_retention(sink(), &store_.store(), &store_.store(), cutoff, std::nullopt);
    EXPECT_EQ(report.audit_logs_deleted, 2);
    EXPECT_EQ(report.trade_events_deleted, 2);
    EXPECT_EQ(report.store_pruned, 0);
    for (const char* collection : {kAudit, kEvents}) {
        const auto left = db().find(collection, "{}", R"({"timestamp": 1})");
        ASSERT_EQ(left.size(), 3u);
        EXPECT_EQ(date_field(left[0].get(), "timestamp"), to_millis(cutoff));
        EXPECT_EQ(date_field(left[1].get(), "timestamp"), to_millis(cutoff + 1ms));
    }
    // Nothing older is left: a second run deletes nothing.
    EXPECT_EQ(apply_retention(sink(), &store_.store(), &store_.store(), cutoff, std::nullopt)
                  .audit_logs_deleted,
              0);
}

TEST_F(MongoAuditServerTest, RetentionPrunesOnlyShippedEntriesFromTheStore) {
    plugins::SqliteStore& store = store_.store();
    const Date maturity = kToday + std::chrono::days{30};
    store_.create_trades(1, 10, maturity, kToday, 2);
    store_.create_trades(1, 10, maturity, kToday, 1);  // rejected: lower versions
    ship_all(sink(), store);
    store_.create_trades(20, 4);  // not shipped yet
    const auto report = apply_retention(
        sink(), &store, &store, std::nullopt,
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now()) + 1h);
    // The shipped rejections go; the shipped versions are the trades' history and stay.
    EXPECT_EQ(report.store_pruned, 10);
    EXPECT_EQ(report.audit_logs_deleted, 0);
    EXPECT_EQ(db().count(kAudit), 20);  // MongoDB keeps them all
    EXPECT_EQ(store.audit_count(std::nullopt), 14);
    EXPECT_EQ(store.unshipped_audit(100).size(), 4u);
}

// The store's event outbox ships like audit entries: the event id as _id, marked shipped after
// the insert, a resend harmless; shipped events are pruned from the store, unshipped never.
TEST_F(MongoAuditServerTest, TheEventOutboxShipsOnceByIdAndPrunesOnlyShippedEvents) {
    plugins::SqliteStore& store = store_.store();
    const Timestamp at = std::chrono::floor<std::chrono::milliseconds>(
        Timestamp{std::chrono::microseconds{1'764'000'000'000'000}});
    std::vector<SystemEvent> events;
    for (int i = 0; i < 7; ++i) {
        SystemEvent event;
        event.id = "KAFKA_ERROR:" + std::to_string(i);
        event.event_type = "KAFKA_ERROR";
        event.severity = EventSeverity::Warning;
        event.data_json = R"({"n":)" + std::to_string(i) + "}";
        event.timestamp = at + std::chrono::seconds{i};
        events.push_back(event);
    }
    store.append_events(events);

    AuditShipper shipper(sink(), 3);  // three batches: 3, 3, 1
    ShipReport report;
    shipper.ship_events(store, no_deadline(), report);
    EXPECT_EQ(report.system_events, 7);
    EXPECT_THAT(store.unshipped_events(100), IsEmpty());
    const auto shipped =
        db().find(kEvents, R"({"event_type": "KAFKA_ERROR"})", R"({"timestamp": 1})");
    ASSERT_EQ(shipped.size(), 7u);
    EXPECT_EQ(text_field(shipped[0].get(), "_id"), "KAFKA_ERROR:0");
    EXPECT_EQ(text_field(shipped[0].get(), "severity"), "WARNING");
    EXPECT_EQ(int_field(shipped[6].get(), "data.n"), 6);
    EXPECT_EQ(date_field(shipped[6].get(), "timestamp"), to_millis(at + std::chrono::seconds{6}));

    // A crash between MongoDB's acknowledgement and the mark: the same events again.
    store_.execute("UPDATE event_outbox SET shipped = 0");
    ShipReport again;
    shipper.ship_events(store, no_deadline(), again);
    EXPECT_EQ(again.system_events, 7);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "KAFKA_ERROR"})"), 7);

    SystemEvent late = events[0];
    late.id = "KAFKA_ERROR:late";
    store.append_events({late});  // not shipped: never pruned
    const auto retention = apply_retention(sink(), &store, &store, std::nullopt, Timestamp::max());
    EXPECT_EQ(retention.store_events_pruned, 7);
    ASSERT_EQ(store.unshipped_events(100).size(), 1u);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "KAFKA_ERROR"})"), 7);  // MongoDB keeps them
}

TEST_F(MongoAuditServerTest, TheBacklogWaitsWhileMongoIsUnreachableThenDrainsExactly) {
    plugins::SqliteStore& store = store_.store();
    store_.create_trades(1, 30);
    MongoSink unreachable(unreachable_uri(), db().name());
    AuditShipper down(unreachable, 7);
    ShipReport failed;
    EXPECT_THROW(down.ship(store, no_deadline(), failed), plugins::mongo::MongoError);
    store_.create_trades(100, 5);  // ingestion goes on meanwhile
    EXPECT_EQ(store.unshipped_audit(100).size(), 35u);

    EXPECT_EQ(ship_all(sink(), store, 7).shipped, 35);
    EXPECT_EQ(db().count(kAudit), 35);
    EXPECT_THAT(store.unshipped_audit(100), IsEmpty());
}

TEST_F(MongoAuditServerTest, TheJobShipsTheHostsEventsAndLogsAStoreOutageOnce) {
    store_.create_trades(1, 12);
    FakeHost host(store_.store());
    host.emit_event("STARTED", EventSeverity::Info, R"({"pid": 7})");
    MongoAuditSettings settings;
    settings.uri = db().uri();
    settings.database = db().name();
    settings.batch_size = 5;
    MongoAuditJob job(settings);
    job.run(host);
    EXPECT_TRUE(job.mongo_up());
    EXPECT_EQ(db().count(kAudit), 12);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "STARTED", "data.pid": 7})"), 1);

    store_.close();  // the store goes down: the job logs it and goes on
    EXPECT_NO_THROW(job.run(host));
    EXPECT_NO_THROW(job.run(host));
    store_.open();
    store_.create_trades(50, 2);
    host.emit_event("STOPPED", EventSeverity::Info, "{}");
    job.finish(host);  // at shutdown: the last entries and STOPPED go out
    EXPECT_EQ(db().count(kAudit), 14);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "STOPPED"})"), 1);
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "STARTED"})"), 1);
    // STORE_DOWN and STORE_UP are the kernel's to emit (it sees every commit).
    EXPECT_EQ(db().count(kEvents, R"({"event_type": "STORE_DOWN"})"), 0);
    EXPECT_EQ(host.count_containing("the store failed while shipping"), 1u);
}

TEST_F(MongoAuditServerTest, TheEventReaderFiltersPagesAndSortsNewestFirst) {
    MongoSink writer(db().uri(), db().name());
    std::vector<Event> events;
    for (int i = 0; i < 7; ++i) {
        events.push_back(Event{"E" + std::to_string(i),
                               i % 2 == 0 ? "STORE_DOWN" : "STORE_UP",
                               i < 5 ? "INFO" : "ERROR",
                               {{"n", std::int64_t{i}}},
                               Timestamp{std::chrono::seconds{1'764'000'000 + i}}});
    }
    writer.insert_events(events);
    plugins::mongo::MongoEventReader reader(db().uri(), db().name());
    const auto query = [](std::optional<std::string> type, std::optional<EventSeverity> severity,
                          std::int64_t skip = 0, std::int64_t limit = 100) {
        EventQuery q;
        q.event_type = std::move(type);
        q.severity = severity;
        q.skip = skip;
        q.limit = limit;
        return q;
    };
    const auto ids = [&reader](const EventQuery& q) {
        std::vector<std::string> out;
        for (const SystemEvent& event : reader.events(q)) out.push_back(event.id);
        return out;
    };
    EXPECT_THAT(ids(query({}, {})), ElementsAre("E6", "E5", "E4", "E3", "E2", "E1", "E0"));
    EXPECT_THAT(ids(query("STORE_UP", {})), ElementsAre("E5", "E3", "E1"));
    EXPECT_THAT(ids(query({}, EventSeverity::Error)), ElementsAre("E6", "E5"));
    EXPECT_THAT(ids(query("STORE_DOWN", EventSeverity::Info)), ElementsAre("E4", "E2", "E0"));
    EXPECT_THAT(ids(query({}, {}, 2, 3)), ElementsAre("E4", "E3", "E2"));
    EXPECT_THAT(ids(query("NONE", {})), IsEmpty());
    const std::vector<SystemEvent> one = reader.events(query({}, {}, 0, 1));
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].event_type, "STORE_DOWN");
    EXPECT_EQ(one[0].severity, EventSeverity::Error);
    EXPECT_EQ(one[0].data_json, R"({ "n" : 6 })");
    EXPECT_EQ(one[0].timestamp, Timestamp{std::chrono::seconds{1'764'000'006}});
}

TEST_F(MongoAuditServerTest, TheJobAppliesRetentionAtStartAndLogsIt) {
    BsonPtr old_document(
        BCON_NEW("_id", BCON_INT64(-5), "timestamp",
                 BCON_DATE_TIME(to_millis(std::chrono::floor<std::chrono::microseconds>(
                     std::chrono::system_clock::now() - 24h * 11)))));
    db().insert(kAudit, old_document.get());
    BsonPtr young_document(
        BCON_NEW("_id", BCON_INT64(-4), "timestamp",
                 BCON_DATE_TIME(to_millis(std::chrono::floor<std::chrono::microseconds>(
                     std::chrono::system_clock::now() - 24h * 9)))));
    db().insert(kAudit, young_document.get());
    FakeHost host(store_.store());
    MongoAuditSettings settings;
    settings.uri = db().uri();
    settings.database = db().name();
    settings.retention_days = 10;
    settings.store_retention_days = 0;
    MongoAuditJob job(settings);
    job.run(host);
    EXPECT_EQ(db().count(kAudit, R"({"_id": -5})"), 0);
    EXPECT_EQ(db().count(kAudit, R"({"_id": -4})"), 1);
    EXPECT_EQ(host.count_containing("retention: deleted 1 audit_logs and 0 trade_events"), 1u)
        << ::testing::PrintToString(host.lines());
    job.run(host);  // not due again for an hour
    EXPECT_EQ(host.count_containing("retention:"), 1u);
}

}  // namespace
}  // namespace tradestore::mongo_test
