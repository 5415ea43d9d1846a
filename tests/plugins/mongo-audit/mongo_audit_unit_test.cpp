// The mongo-audit plugin without a MongoDB server: the documents it writes, the events it
// derives from audit entries, its settings, and what it does when MongoDB cannot be reached
// (the backlog stays in the store; the job logs and carries on).
#include <gmock/gmock.h>

#include <chrono>

#include "audit_documents.h"
#include "audit_shipper.h"
#include "mongo_audit_job.h"
#include "mongo_audit_settings.h"
#include "mongo_event_reader.h"
#include "mongo_test_support.h"
#include "null_store.h"
#include "temp_sqlite_store.h"

namespace tradestore::mongo_test {
namespace {

using namespace std::chrono_literals;
using plugins::mongo::AuditShipper;
using plugins::mongo::Event;
using plugins::mongo::MongoAuditJob;
using plugins::mongo::MongoAuditSettings;
using plugins::mongo::MongoError;
using plugins::mongo::MongoSink;
using plugins::mongo::ShipReport;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

Timestamp at_micros(std::int64_t micros) {
    return Timestamp{std::chrono::microseconds{micros}};
}

AuditEntry entry(std::int64_t id, AuditAction action, std::string trade_id = "T1") {
    AuditEntry e;
    e.id = id;
    e.trade_id = std::move(trade_id);
    e.action = action;
    e.source = "rest";
    e.reference = "req-" + std::to_string(id);
    e.timestamp = at_micros(1'764'000'000'123'456);
    return e;
}

Settings defaults() {
    std::map<std::string, std::string, std::less<>> values;
    for (const SettingSpec& spec : plugins::mongo::mongo_audit_setting_specs()) {
        if (!spec.default_value.empty()) values[spec.key] = spec.default_value;
    }
    values["uri"] = "mongodb://127.0.0.1:27017/";
    return Settings(std::move(values));
}

TEST(MongoAuditDocuments, AnAuditEntryHasTheOriginalDesignsShape) {
    AuditEntry rejected = entry(42, AuditAction::ValidationFailed, "T-9");
    rejected.success = false;
    rejected.reason_codes = {"LOWER_VERSION", "MATURITY_IN_PAST"};
    rejected.message = "Trade T-9: Received version 1 is lower than current version 2";
    rejected.received_version = 1;
    rejected.stored_version = 2;
    rejected.source = "kafka";
    rejected.reference = "trades/0/17";
    const auto document = plugins::mongo::audit_document(rejected);
    const bson_t* doc = document.get();

    EXPECT_EQ(int_field(doc, "_id"), 42);
    EXPECT_EQ(text_field(doc, "trade_id"), "T-9");
    EXPECT_EQ(text_field(doc, "action"), "VALIDATION_FAILED");
    EXPECT_EQ(text_field(doc, "status"), "failed");
    EXPECT_THAT(text_array(doc, "details.reason_codes"),
                ElementsAre("LOWER_VERSION", "MATURITY_IN_PAST"));
    EXPECT_EQ(text_field(doc, "details.message"), rejected.message);
    EXPECT_EQ(int_field(doc, "details.received_version"), 1);
    EXPECT_EQ(int_field(doc, "details.stored_version"), 2);
    EXPECT_EQ(text_field(doc, "details.reference"), "trades/0/17");
    EXPECT_EQ(text_field(doc, "source"), "kafka");
    EXPECT_EQ(date_field(doc, "timestamp"), 1'764'000'000'123);  // milliseconds, rounded down
    EXPECT_EQ(bson_count_keys(doc), 7u);
}

TEST(MongoAuditDocuments, MissingVersionsAreNullAndStatusIsSuccess) {
    AuditEntry expired = entry(7, AuditAction::Expire);
    expired.stored_version = 3;
    const auto document = plugins::mongo::audit_document(expired);
    EXPECT_EQ(text_field(document.get(), "status"), "success");
    EXPECT_EQ(text_field(document.get(), "action"), "EXPIRE");
    EXPECT_TRUE(is_null(document.get(), "details.received_version"));
    EXPECT_EQ(int_field(document.get(), "details.stored_version"), 3);
    EXPECT_THAT(text_array(document.get(), "details.reason_codes"), IsEmpty());
}

TEST(MongoAuditDocuments, MillisecondsRoundTowardsThePast) {
    EXPECT_EQ(plugins::mongo::to_millis(at_micros(1'999)), 1);
    EXPECT_EQ(plugins::mongo::to_millis(at_micros(2'000)), 2);
    EXPECT_EQ(plugins::mongo::to_millis(at_micros(-1)), -1);
}

TEST(MongoAuditDocuments, AnEventHasTypeSeverityDataAndTimestamp) {
    const Event event{"X:1",
                      "TRADES_EXPIRED",
                      "INFO",
                      {{"count", std::int64_t{5}},
                       {"source", std::string("job")},
                       {"codes", std::vector<std::string>{"A", "B"}}},
                      at_micros(5'000'000)};
    const auto document = plugins::mongo::event_document(event);
    EXPECT_EQ(text_field(document.get(), "_id"), "X:1");
    EXPECT_EQ(text_field(document.get(), "event_type"), "TRADES_EXPIRED");
    EXPECT_EQ(text_field(document.get(), "severity"), "INFO");
    EXPECT_EQ(int_field(document.get(), "data.count"), 5);
    EXPECT_EQ(text_field(document.get(), "data.source"), "job");
    EXPECT_THAT(text_array(document.get(), "data.codes"), ElementsAre("A", "B"));
    EXPECT_EQ(date_field(document.get(), "timestamp"), 5'000);
}

TEST(MongoAuditEvents, ExpiryRunsAreTheDistinctSourceAndTimestampPairsOfExpireEntries) {
    std::vector<AuditEntry> entries;
    for (int i = 0; i < 3; ++i) {
        AuditEntry e = entry(10 + i, AuditAction::Expire, "E" + std::to_string(i));
        e.source = "job";
        e.reference = "2026-11-24";
        entries.push_back(e);
    }
    entries.push_back(entry(13, AuditAction::Create));
    AuditEntry by_rest = entry(14, AuditAction::Expire);
    by_rest.source = "rest";
    entries.push_back(by_rest);
    AuditEntry later = entry(15, AuditAction::Expire);
    later.source = "job";
    later.timestamp += 1us;  // another run, even within the same millisecond
    entries.push_back(later);

    const auto runs = plugins::mongo::expiry_runs(entries);
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0].source, "job");
    EXPECT_EQ(runs[0].reference, "2026-11-24");
    EXPECT_EQ(runs[0].event_id(), "TRADES_EXPIRED:job:1764000000123456");
    EXPECT_EQ(runs[1].source, "rest");
    EXPECT_EQ(runs[2].event_id(), "TRADES_EXPIRED:job:1764000000123457");

    const Event event = plugins::mongo::expiry_event(runs[0], 3);
    EXPECT_EQ(event.event_type, "TRADES_EXPIRED");
    EXPECT_EQ(event.id, runs[0].event_id());
    EXPECT_EQ(event.timestamp, runs[0].timestamp);
    const auto document = plugins::mongo::event_document(event);
    EXPECT_EQ(int_field(document.get(), "data.count"), 3);
    EXPECT_EQ(text_field(document.get(), "data.business_date"), "2026-11-24");
}

TEST(MongoAuditEvents, OnlyDeadLetteredEntriesBecomeDeadLetteredEvents) {
    AuditEntry dead = entry(8, AuditAction::ValidationFailed, "");
    dead.success = false;
    dead.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    dead.source = "kafka";
    AuditEntry rejected = entry(9, AuditAction::ValidationFailed);
    rejected.reason_codes = {"LOWER_VERSION"};
    const std::vector<AuditEntry> entries{entry(7, AuditAction::Create), dead, rejected};
    const auto events = plugins::mongo::dead_letter_events(entries);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].id, "DEAD_LETTERED:8");
    EXPECT_EQ(events[0].severity, "WARNING");
    const auto document = plugins::mongo::event_document(events[0]);
    EXPECT_EQ(int_field(document.get(), "data.audit_id"), 8);
    EXPECT_THAT(text_array(document.get(), "data.reason_codes"),
                ElementsAre("MALFORMED_JSON", "DEAD_LETTERED"));
}

TEST(MongoAuditEvents, AKernelEventKeepsItsIdAndItsDataObject) {
    SystemEvent queued;
    queued.id = "KAFKA_ERROR:00000000000000ab";
    queued.event_type = "KAFKA_ERROR";
    queued.severity = EventSeverity::Error;
    queued.data_json = R"({"code": "_TRANSPORT", "count": 3})";
    queued.timestamp = at_micros(1'764'000'000'123'456);
    const auto document = plugins::mongo::event_document(plugins::mongo::from_system_event(queued));
    EXPECT_EQ(text_field(document.get(), "_id"), queued.id);
    EXPECT_EQ(text_field(document.get(), "event_type"), "KAFKA_ERROR");
    EXPECT_EQ(text_field(document.get(), "severity"), "ERROR");
    EXPECT_EQ(text_field(document.get(), "data.code"), "_TRANSPORT");
    EXPECT_EQ(int_field(document.get(), "data.count"), 3);
    EXPECT_EQ(date_field(document.get(), "timestamp"), 1'764'000'000'123);

    queued.data_json = "not json";  // kept as text rather than lost
    const auto fallback = plugins::mongo::event_document(plugins::mongo::from_system_event(queued));
    EXPECT_EQ(text_field(fallback.get(), "data.text"), "not json");
}

TEST(MongoAuditEvents, TheEventReaderAnswersUnavailableWhenMongoIsUnreachable) {
    plugins::mongo::MongoEventReader reader(unreachable_uri(), "tradestore");
    EXPECT_THROW(reader.events(EventQuery{}), EventsUnavailable);
}

TEST(MongoAuditSettings, DefaultsAndOverrides) {
    MongoAuditSettings settings = plugins::mongo::read_mongo_audit_settings(defaults());
    EXPECT_EQ(settings.database, "tradestore");
    EXPECT_EQ(settings.batch_size, 1000);
    EXPECT_EQ(settings.interval, 1s);
    EXPECT_EQ(settings.retention_days, 0);
    EXPECT_FALSE(settings.store_retention_days);
    EXPECT_EQ(settings.effective_store_retention_days(), 0);
    EXPECT_EQ(settings.retention_interval, 1h);

    auto values = defaults().values();
    values["retention_days"] = "30";
    EXPECT_EQ(plugins::mongo::read_mongo_audit_settings(Settings(values))
                  .effective_store_retention_days(),
              30);
    values["store_retention_days"] = "0";
    EXPECT_EQ(plugins::mongo::read_mongo_audit_settings(Settings(values))
                  .effective_store_retention_days(),
              0);
    values["store_retention_days"] = "7";
    EXPECT_EQ(plugins::mongo::read_mongo_audit_settings(Settings(values))
                  .effective_store_retention_days(),
              7);
}

TEST(MongoAuditSettings, TheUriIsASecretAndRequired) {
    const auto specs = plugins::mongo::mongo_audit_setting_specs();
    const auto uri = std::find_if(specs.begin(), specs.end(),
                                  [](const SettingSpec& spec) { return spec.key == "uri"; });
    ASSERT_NE(uri, specs.end());
    EXPECT_EQ(uri->type, SettingType::Secret);
    EXPECT_TRUE(uri->required);
}

TEST(MongoSinkUri, ABadUriIsRefusedWithoutEchoingIt) {
    for (const char* bad :
         {"postgres://user:s3cret-pw@host/", "mongodb://user:s3cret-pw@host:port/",
          "mongodb://user:s3cret-pw@/", "mongodb://user:s3cret-pw@host/?tls=maybe"}) {
        try {
            MongoSink sink(bad, "db");
            ADD_FAILURE() << "accepted a bad URI";
        } catch (const std::invalid_argument& error) {
            EXPECT_THAT(error.what(), HasSubstr("invalid MongoDB URI"));
            EXPECT_THAT(error.what(), Not(HasSubstr("s3cret-pw")));
        }
    }
    EXPECT_THROW(MongoSink("mongodb://127.0.0.1/", ""), std::invalid_argument);
}

TEST(MongoSinkUri, WritesWaitForAMajorityAndTheJournalUnlessTheUriLowersIt) {
    EXPECT_EQ(MongoSink("mongodb://127.0.0.1/", "db").write_concern(),
              "w=majority, journal=true, wtimeoutMS=10000");
    EXPECT_EQ(MongoSink("mongodb://127.0.0.1/?wtimeoutMS=500", "db").write_concern(),
              "w=majority, journal=true, wtimeoutMS=500");
    // Lowered explicitly: kept as the operator wrote it.
    EXPECT_EQ(MongoSink("mongodb://127.0.0.1/?w=1&journal=false", "db").write_concern(),
              "w=1, journal=false");
    EXPECT_EQ(MongoSink("mongodb://127.0.0.1/?w=1", "db").write_concern(), "w=1, journal=true");
    EXPECT_EQ(MongoSink("mongodb://127.0.0.1/?journal=false", "db").write_concern(),
              "w=majority, journal=false, wtimeoutMS=10000");
    try {
        MongoSink sink("mongodb://127.0.0.1/?w=0", "db");
        FAIL() << "w=0 was accepted";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), ::testing::HasSubstr("w=0"));
    }
}

TEST(MongoSinkUri, ServersNameHostsButNoCredentials) {
    MongoSink sink("mongodb://user:s3cret-pw@db1:27017,db2:27018/?tls=true&authSource=admin",
                   "audit");
    EXPECT_EQ(sink.servers(), "db1:27017,db2:27018");
    EXPECT_EQ(sink.database(), "audit");
}

TEST(MongoAuditUnreachable, AShipmentFailsFastAndLeavesTheBacklogInTheStore) {
    TempSqliteStore store;
    store.create_trades(1, 20);
    MongoSink sink(unreachable_uri(), "tradestore");
    AuditShipper shipper(sink, 5);
    ShipReport report;
    const auto started = std::chrono::steady_clock::now();
    EXPECT_THROW(shipper.ship(store.store(), started + 10s, report), MongoError);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
    EXPECT_EQ(report.shipped, 0);
    EXPECT_TRUE(report.store_reached);
    EXPECT_EQ(store.store().unshipped_audit(100).size(), 20u);
}

TEST(MongoAuditUnreachable, TheJobLogsTheOutageOnceAndNeverThrows) {
    TempSqliteStore store;
    store.create_trades(1, 3);
    FakeHost host(store.store());
    MongoAuditSettings settings;
    settings.uri = unreachable_uri();
    settings.interval = 100ms;
    MongoAuditJob job(settings);
    for (int run = 0; run < 3; ++run) EXPECT_NO_THROW(job.run(host));
    EXPECT_FALSE(job.mongo_up());
    EXPECT_EQ(host.count_containing("is down"), 1u) << ::testing::PrintToString(host.lines());
    EXPECT_EQ(store.store().unshipped_audit(100).size(), 3u);
}

// A store that offers no audit outbox (no capability at all).
class StoreWithoutOutbox final : public tradestore::test_support::NullStore {};

TEST(MongoAuditUnreachable, AStoreWithoutAnOutboxIsReportedOnceAndLeftAlone) {
    StoreWithoutOutbox store;
    FakeHost host(store);
    MongoAuditSettings settings;
    settings.uri = unreachable_uri();
    MongoAuditJob job(settings);
    EXPECT_NO_THROW(job.run(host));
    EXPECT_NO_THROW(job.run(host));
    EXPECT_EQ(host.count_containing("the store has no audit outbox"), 1u)
        << ::testing::PrintToString(host.lines());
}

}  // namespace
}  // namespace tradestore::mongo_test
