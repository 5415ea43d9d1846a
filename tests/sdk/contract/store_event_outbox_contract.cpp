// The event outbox contract: what the kernel's event writer and the mongo-audit shipper rely
// on, checked through the Store interface alone. append_events() stores each event once
// (idempotent on its id, whatever a retry carries); unshipped_events() offers the unshipped
// ones oldest first (timestamp, then id) with every field as appended; mark_events_shipped()
// takes exactly those out (never a high-water mark); prune_shipped_events() deletes only
// shipped events strictly older than the cut-off. Events are independent of the audit log.
#include <gmock/gmock.h>

#include <set>

#include "store_contract.h"

namespace tradestore::contract {

std::string event_outbox_test_name(const ::testing::TestParamInfo<StoreImplementation>& info) {
    return info.param.name;
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreEventOutboxTest);

namespace {

using std::chrono::microseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

const Timestamp kT0 =
    std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + std::chrono::hours{9};

SystemEvent event(std::string id, Timestamp at, std::string type = "STARTED",
                  EventSeverity severity = EventSeverity::Info,
                  std::string data = R"({"pid":42})") {
    SystemEvent e;
    e.id = std::move(id);
    e.event_type = std::move(type);
    e.severity = severity;
    e.data_json = std::move(data);
    e.timestamp = at;
    return e;
}

std::vector<std::string> ids_of(const std::vector<SystemEvent>& events) {
    std::vector<std::string> out;
    for (const SystemEvent& e : events) out.push_back(e.id);
    return out;
}

TEST_P(StoreEventOutboxTest, AFreshStoreHasNoEvents) {
    EXPECT_THAT(event_outbox().unshipped_events(100), IsEmpty());
    EXPECT_EQ(event_outbox().prune_shipped_events(Timestamp::max()), 0);
    event_outbox().append_events({});        // nothing to append is fine (the kernel's probe)
    event_outbox().mark_events_shipped({});  // nothing to mark is fine
}

TEST_P(StoreEventOutboxTest, EventsComeBackWhole) {
    const std::string awkward = R"({"text":"quote \" comma, brace } backslash \\ é","n":[1,2]})";
    event_outbox().append_events({
        event("STORE_DOWN:01", kT0 + microseconds{1}, "STORE_DOWN", EventSeverity::Error,
              R"({"store":"sqlite","error":"disk I/O error"})"),
        event("KAFKA_ERROR:02", kT0 + microseconds{2}, "KAFKA_ERROR", EventSeverity::Warning,
              awkward),
        event("STARTED:03", kT0 + microseconds{3}),
    });
    const auto events = event_outbox().unshipped_events(10);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].id, "STORE_DOWN:01");
    EXPECT_EQ(events[0].event_type, "STORE_DOWN");
    EXPECT_EQ(events[0].severity, EventSeverity::Error);
    EXPECT_EQ(events[0].data_json, R"({"store":"sqlite","error":"disk I/O error"})");
    EXPECT_EQ(events[0].timestamp, kT0 + microseconds{1});
    EXPECT_EQ(events[1].severity, EventSeverity::Warning);
    EXPECT_EQ(events[1].data_json, awkward);
    EXPECT_EQ(events[2].severity, EventSeverity::Info);
    EXPECT_EQ(events[2].timestamp, kT0 + microseconds{3});
    // Events are not audit entries.
    EXPECT_EQ(store().audit_count(std::nullopt), 0);
    EXPECT_THAT(audit_outbox().unshipped_audit(10), IsEmpty());
}

TEST_P(StoreEventOutboxTest, OldestFirstAndTheLimitTakesTheOldest) {
    // Appended out of time order, in two batches; ties on the timestamp go by id.
    event_outbox().append_events({event("E:c", kT0 + seconds{3}), event("E:a", kT0 + seconds{1})});
    event_outbox().append_events(
        {event("E:b2", kT0 + seconds{2}), event("E:b1", kT0 + seconds{2})});
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)),
                ElementsAre("E:a", "E:b1", "E:b2", "E:c"));
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(2)), ElementsAre("E:a", "E:b1"));
    EXPECT_THAT(event_outbox().unshipped_events(0), IsEmpty());
    EXPECT_EQ(event_outbox().unshipped_events(10).size(), 4u);  // reading takes nothing out
}

TEST_P(StoreEventOutboxTest, AppendingAgainStoresAnEventOnce) {
    event_outbox().append_events({event("STARTED:1", kT0)});
    // A retry after an append whose outcome was unknown: the same id, once, as first written.
    event_outbox().append_events(
        {event("STARTED:1", kT0 + seconds{9}, "STARTED", EventSeverity::Error, R"({"pid":1})"),
         event("STOPPED:2", kT0 + seconds{1}, "STOPPED")});
    const auto events = event_outbox().unshipped_events(10);
    ASSERT_THAT(ids_of(events), ElementsAre("STARTED:1", "STOPPED:2"));
    EXPECT_EQ(events[0].timestamp, kT0);
    EXPECT_EQ(events[0].data_json, R"({"pid":42})");
    // Even after it was shipped: appending it again does not offer it again.
    event_outbox().mark_events_shipped({"STARTED:1"});
    event_outbox().append_events({event("STARTED:1", kT0)});
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("STOPPED:2"));
}

TEST_P(StoreEventOutboxTest, MarkingTakesExactlyThoseOutAndSurvivesReopening) {
    std::vector<SystemEvent> batch;
    for (int i = 1; i <= 5; ++i) batch.push_back(event("E:" + std::to_string(i), kT0 + seconds{i}));
    event_outbox().append_events(batch);
    // A later event marked says nothing about the earlier ones (no high-water mark).
    event_outbox().mark_events_shipped({"E:2", "E:4"});
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("E:1", "E:3", "E:5"));
    // Idempotent: again, or ids that do not exist, changes nothing.
    event_outbox().mark_events_shipped({"E:2", "E:4", "nope", ""});
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("E:1", "E:3", "E:5"));
    reopen();
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("E:1", "E:3", "E:5"));
    event_outbox().mark_events_shipped({"E:1", "E:3", "E:5"});
    EXPECT_THAT(event_outbox().unshipped_events(10), IsEmpty());
}

TEST_P(StoreEventOutboxTest, PruneDeletesOnlyShippedEventsStrictlyOlderThanTheCutOff) {
    event_outbox().append_events({event("A", kT0), event("B", kT0 + seconds{1}),
                                  event("C", kT0 + seconds{2}), event("D", kT0 + seconds{3})});
    event_outbox().mark_events_shipped({"A", "C", "D"});
    // B waits for shipping however old it is; C, exactly at the cut-off, stays.
    EXPECT_EQ(event_outbox().prune_shipped_events(kT0 + seconds{2}), 1);
    EXPECT_EQ(event_outbox().prune_shipped_events(kT0 + seconds{2}), 0);
    EXPECT_EQ(event_outbox().prune_shipped_events(Timestamp::max()), 2);
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("B"));
    event_outbox().mark_events_shipped({"B"});
    EXPECT_EQ(event_outbox().prune_shipped_events(Timestamp::max()), 1);
    // A pruned event's id may come again (it was shipped long ago); it is offered again.
    event_outbox().append_events({event("A", kT0)});
    EXPECT_THAT(ids_of(event_outbox().unshipped_events(10)), ElementsAre("A"));
}

TEST_P(StoreEventOutboxTest, ABatchOfManyIsAppendedAndShippedExactlyOnce) {
    std::vector<SystemEvent> batch;
    for (int i = 0; i < 2500; ++i) {
        batch.push_back(event("MANY:" + std::to_string(100000 + i), kT0 + microseconds{i}));
    }
    event_outbox().append_events(batch);
    std::vector<std::string> shipped;
    for (;;) {
        const auto pending = event_outbox().unshipped_events(1000);
        if (pending.empty()) break;
        ASSERT_LE(pending.size(), 1000u);
        const auto ids = ids_of(pending);
        event_outbox().mark_events_shipped(ids);
        shipped.insert(shipped.end(), ids.begin(), ids.end());
    }
    ASSERT_EQ(shipped.size(), 2500u);
    EXPECT_EQ(std::set<std::string>(shipped.begin(), shipped.end()).size(), 2500u);
    EXPECT_EQ(shipped.front(), "MANY:100000");
    EXPECT_EQ(shipped.back(), "MANY:102499");
    EXPECT_EQ(event_outbox().prune_shipped_events(Timestamp::max()), 2500);
}

}  // namespace
}  // namespace tradestore::contract
