// The kernel's event outbox writer, through KernelHost: emitted events reach the store's
// outbox on the writer's thread (take_events then hands out nothing); while the store refuses
// them they wait in memory, STORE_DOWN among them, and are written once it takes them again;
// at shutdown flush_event_outbox writes what is left (STOPPED) or says what is lost; a store
// without an event outbox keeps the in-memory path.
#include "event_outbox_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "eventually.h"
#include "fake_host.h"
#include "kernel_host.h"
#include "metrics_registry.h"
#include "null_store.h"
#include "trade_codec.h"

namespace tradestore::kernel {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// An event outbox in memory whose availability the test switches.
class OutboxStore final : public test_support::NullStore, public EventOutbox {
  public:
    EventOutbox* event_outbox() override { return this; }
    std::vector<SystemEvent> unshipped_events(std::int64_t) override { return {}; }
    void mark_events_shipped(const std::vector<std::string>&) override {}
    std::int64_t prune_shipped_events(Timestamp) override { return 0; }
    void append_events(const std::vector<SystemEvent>& events) override {
        std::lock_guard lock(mutex_);
        ++appends_;
        if (!up_) throw StoreUnavailable("database is locked");
        for (const SystemEvent& event : events) {
            if (event.event_type.find('\0') != std::string::npos) {
                throw std::invalid_argument("a NUL byte cannot be stored");
            }
        }
        for (const SystemEvent& event : events) {
            if (std::none_of(stored_.begin(), stored_.end(),
                             [&](const SystemEvent& e) { return e.id == event.id; })) {
                stored_.push_back(event);
            }
        }
    }
    bool healthy() override { return true; }

    void set_up(bool up) {
        std::lock_guard lock(mutex_);
        up_ = up;
    }
    std::vector<std::string> types() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out;
        for (const SystemEvent& e : stored_) out.push_back(e.event_type);
        return out;
    }
    int appends() const {
        std::lock_guard lock(mutex_);
        return appends_;
    }

  private:
    mutable std::mutex mutex_;
    bool up_ = true;
    int appends_ = 0;
    std::vector<SystemEvent> stored_;
};

using test_support::eventually;

class EventOutboxWriterTest : public ::testing::Test {
  protected:
    std::shared_ptr<OutboxStore> store_ = std::make_shared<OutboxStore>();
    FixedClock clock_{Date{}};
    JsonTradeCodec codec_;
    tradestore::test_support::NullIngest ingest_;
    MetricsRegistry metrics_;
    KernelHost host_{store_, "sqlite", clock_, codec_, ingest_, metrics_};
};

TEST_F(EventOutboxWriterTest, EmittedEventsReachTheStoreInOrderAndNotTheMemoryPath) {
    host_.store_opened();
    host_.emit_event("STARTED", EventSeverity::Info, R"({"pid":1})");
    host_.emit_event("KAFKA_ERROR", EventSeverity::Warning, R"({"n":2})");
    ASSERT_TRUE(eventually([&] { return store_->types().size() == 2; }));
    EXPECT_THAT(store_->types(), ElementsAre("STARTED", "KAFKA_ERROR"));
    // The shipper finds them in the store, not in memory.
    host_.emit_event("STOPPED", EventSeverity::Info, "{}");
    EXPECT_THAT(host_.take_events(10).events, IsEmpty());
    host_.flush_event_outbox(1s);
    EXPECT_THAT(store_->types(), ElementsAre("STARTED", "KAFKA_ERROR", "STOPPED"));
}

TEST_F(EventOutboxWriterTest, WhileTheStoreRefusesEventsWaitAndAreWrittenWhenItIsBack) {
    host_.store_opened();
    store_->set_up(false);
    host_.emit_event("KAFKA_ERROR", EventSeverity::Warning, "{}");
    // The writer's failed append is what the kernel learns of the store: STORE_DOWN, which
    // waits in memory with the rest.
    ASSERT_TRUE(eventually([&] { return store_->appends() >= 2; }));
    EXPECT_THAT(store_->types(), IsEmpty());
    store_->set_up(true);
    // Retried within a second or so; the success is STORE_UP, written in its turn.
    ASSERT_TRUE(eventually([&] { return store_->types().size() == 3; }, 5s));
    EXPECT_THAT(store_->types(), ElementsAre("KAFKA_ERROR", "STORE_DOWN", "STORE_UP"));
    host_.flush_event_outbox(0ms);
}

TEST_F(EventOutboxWriterTest, ShutdownWritesWhatIsLeftOrReportsItLost) {
    host_.store_opened();
    host_.emit_event("STOPPED", EventSeverity::Info, "{}");
    host_.flush_event_outbox(2s);
    EXPECT_THAT(store_->types(), Contains("STOPPED"));

    // Once stopped, nothing is written but by a flush; a refusing store within the budget
    // leaves the events where they are.
    store_->set_up(false);
    host_.emit_event("STOPPED", EventSeverity::Info, R"({"again":true})");
    const auto before = std::chrono::steady_clock::now();
    host_.flush_event_outbox(300ms);
    EXPECT_GE(std::chrono::steady_clock::now() - before, 250ms);
    EXPECT_EQ(store_->types().size(), 1u);
    store_->set_up(true);
    host_.flush_event_outbox(0ms);  // one attempt: now it goes (with STORE_DOWN and STORE_UP)
    EXPECT_THAT(store_->types(), ElementsAre("STOPPED", "STOPPED", "STORE_DOWN", "STORE_UP"));
}

TEST_F(EventOutboxWriterTest, AnEventTheStoreCanNeverTakeIsDroppedAloneAndHoldsNothingBack) {
    host_.emit_event("STARTED", EventSeverity::Info, "{}");
    host_.emit_event(std::string_view("BAD\0TYPE", 8), EventSeverity::Info, "{}");
    host_.emit_event("STOPPED", EventSeverity::Info, "{}");
    host_.store_opened();  // all three in one batch
    ASSERT_TRUE(eventually([&] { return store_->types().size() == 2; }));
    EXPECT_THAT(store_->types(), ElementsAre("STARTED", "STOPPED"));
    host_.emit_event("KAFKA_ERROR", EventSeverity::Warning, "{}");
    ASSERT_TRUE(eventually([&] { return store_->types().size() == 3; }));
    host_.flush_event_outbox(0ms);
}

TEST_F(EventOutboxWriterTest, AStoreWithoutAnEventOutboxKeepsTheMemoryPath) {
    auto plain = std::make_shared<test_support::NullStore>();
    KernelHost host{plain, "plain", clock_, codec_, ingest_, metrics_};
    host.store_opened();
    EXPECT_EQ(host.capabilities().event_outbox, nullptr);
    host.emit_event("STARTED", EventSeverity::Info, "{}");
    const EventBatch batch = host.take_events(10);
    ASSERT_EQ(batch.events.size(), 1u);
    EXPECT_EQ(batch.events[0].event_type, "STARTED");
    host.flush_event_outbox(0ms);  // nothing to do
}

}  // namespace
}  // namespace tradestore::kernel
