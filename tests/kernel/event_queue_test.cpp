// The kernel's system events: the bounded queue, ids, data objects, and the STORE_DOWN /
// STORE_UP transitions KernelHost derives from what it learns of the store.
#include "event_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "fake_host.h"
#include "kernel_host.h"
#include "metrics_registry.h"
#include "null_store.h"
#include "trade_codec.h"

namespace tradestore::kernel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

SystemEvent event(std::string type) {
    SystemEvent e;
    e.id = new_event_id(type);
    e.event_type = std::move(type);
    return e;
}

std::vector<std::string> types(const EventBatch& batch) {
    std::vector<std::string> out;
    for (const SystemEvent& e : batch.events) out.push_back(e.event_type);
    return out;
}

TEST(EventQueue, TakesOldestFirstAndDropsTheOldestWhenFull) {
    EventQueue queue(3);
    EXPECT_FALSE(queue.push(event("A")));
    EXPECT_FALSE(queue.push(event("B")));
    EXPECT_FALSE(queue.push(event("C")));
    EXPECT_TRUE(queue.push(event("D")));  // A goes
    EXPECT_TRUE(queue.push(event("E")));  // B goes
    EXPECT_EQ(queue.size(), 3u);

    const EventBatch first = queue.take(2);
    EXPECT_THAT(types(first), ElementsAre("C", "D"));
    EXPECT_EQ(first.dropped, 2);
    const EventBatch second = queue.take(10);
    EXPECT_THAT(types(second), ElementsAre("E"));
    EXPECT_EQ(second.dropped, 0);  // counted once
    EXPECT_TRUE(queue.take(10).events.empty());
}

TEST(EventQueue, IdsAreUniqueAndNameTheirType) {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(new_event_id("STOPPED"));
    EXPECT_EQ(ids.size(), 1000u);
    EXPECT_EQ(ids.begin()->rfind("STOPPED:", 0), 0u);
    EXPECT_EQ(ids.begin()->size(), std::string("STOPPED:").size() + 16);
}

TEST(EventQueue, DataIsAlwaysAJsonObject) {
    EXPECT_EQ(event_data_object(R"({"a":1})"), R"({"a":1})");
    EXPECT_EQ(event_data_object("[1]"), R"({"text":"[1]"})");
    EXPECT_EQ(event_data_object(R"(broken "x)"), R"({"text":"broken \"x"})");
    EXPECT_EQ(event_data_object(""), R"({"text":""})");
}

// A store whose health the test sets; nothing else is used.
class ProbeStore final : public tradestore::test_support::NullStore {
  public:
    bool up = true;
    bool healthy() override { return up; }
};

class KernelHostEventsTest : public ::testing::Test {
  protected:
    std::shared_ptr<ProbeStore> store_ = std::make_shared<ProbeStore>();
    FixedClock clock_{Date{}};
    JsonTradeCodec codec_;
    tradestore::test_support::NullIngest ingest_;
    MetricsRegistry metrics_;
    KernelHost host_{store_, "sqlite", clock_, codec_, ingest_, metrics_};
};

TEST_F(KernelHostEventsTest, TheStoreGoingDownAndBackIsOneEventEach) {
    host_.note_store_state(true);
    store_->up = false;
    host_.health();
    host_.note_store_state(false, "connection refused");  // still down: nothing new
    store_->up = true;
    host_.health();
    host_.note_store_state(true);

    const EventBatch batch = host_.take_events(10);
    ASSERT_THAT(types(batch), ElementsAre("STORE_DOWN", "STORE_UP"));
    EXPECT_EQ(batch.events[0].severity, EventSeverity::Error);
    EXPECT_THAT(batch.events[0].data_json, HasSubstr(R"("store":"sqlite")"));
    EXPECT_THAT(batch.events[0].data_json, HasSubstr(R"("error":"the health check failed")"));
    EXPECT_EQ(batch.events[1].severity, EventSeverity::Info);
    EXPECT_THAT(batch.events[1].data_json, HasSubstr(R"("down_seconds":0)"));
    EXPECT_LE(batch.events[0].timestamp, batch.events[1].timestamp);
}

TEST_F(KernelHostEventsTest, EmittedEventsWaitInABoundedQueueAndDropsAreCounted) {
    for (std::size_t i = 0; i < KernelHost::kEventQueueCapacity + 5; ++i) {
        host_.emit_event("KAFKA_ERROR", EventSeverity::Warning, R"({"n":1})");
    }
    const EventBatch batch = host_.take_events(KernelHost::kEventQueueCapacity * 2);
    EXPECT_EQ(batch.events.size(), KernelHost::kEventQueueCapacity);
    EXPECT_EQ(batch.dropped, 5);
    EXPECT_THAT(metrics_.render_prometheus(), HasSubstr("tradestore_events_dropped_total 5"));
}

}  // namespace
}  // namespace tradestore::kernel
