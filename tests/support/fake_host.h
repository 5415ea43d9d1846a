// The one fake Host of the C++ tests, for driving a plugin (or a piece of the kernel) without
// the daemon. It hands out the store and the ingest sink a test gives it, a fixed clock, the
// kernel's JSON codec and a metrics registry of its own, and records what the plugin tells the
// host: log lines (with their request ids) and emitted events. What it answers otherwise is set
// through its public members: version_text, health_answer, expire_answer, events.
//
// Given a Store, its capabilities (tradestore/store_capabilities.h) are asked anew at each
// call, so a test may switch one on or reopen the store; given only a StoreReader, it offers
// none. NullIngest is the sink for tests whose subject never ingests; a test that needs ingest
// behaviour plugs in a sink of its own (kafka's that commits, rest's that applies).
#pragma once

#include <tradestore/clock.h>
#include <tradestore/events.h>
#include <tradestore/host.h>
#include <tradestore/store.h>
#include <tradestore/store_capabilities.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics_registry.h"
#include "trade_codec.h"

namespace tradestore::test_support {

// The business date of every fake host unless a test sets another clock: 2026-11-24.
inline constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

// Answers every batch at once with an empty Committed result, and knows no positions.
class NullIngest final : public IngestSink {
  public:
    void submit(Batch, std::function<void(IngestResult)> done) override { done({}); }
    std::optional<std::int64_t> position(const std::string&, const std::string&,
                                         std::int32_t) override {
        return std::nullopt;
    }
};

class FakeHost : public Host {
  public:
    // Capabilities are those of `store`, asked at each call.
    FakeHost(Store& store, IngestSink& ingest);
    // No capabilities.
    FakeHost(StoreReader& store, IngestSink& ingest);
    // Over a NullIngest of its own, for subjects that never ingest.
    explicit FakeHost(Store& store) : FakeHost(store, null_ingest_) {}

    IngestSink& ingest() override { return sink_; }
    StoreReader& store() override { return reader_; }
    const StoreCapabilities& capabilities() const override;
    const BusinessClock& clock() const override { return clock_; }
    const TradeCodec& codec() const override { return codec_; }
    void log(LogLevel level, std::string_view component, std::string_view message) override;
    void log_with(LogLevel level, std::string_view component, std::string_view message,
                  const LogContext& context) override;
    // health_answer's, or a healthy, ready host with no services.
    HealthReport health() override { return health_answer ? health_answer() : HealthReport{}; }
    std::string_view version() const override { return version_text; }
    // expire_answer's; else the Store's expire at the clock's today; else 0.
    std::int64_t expire_now(const std::string& source) override;
    Metrics& metrics() override { return metrics_; }
    // Recorded (emitted()), and queued for take_events.
    void emit_event(std::string_view event_type, EventSeverity severity,
                    std::string_view data_json) override;
    EventBatch take_events(std::size_t max) override;
    EventReader* event_reader() override { return events; }

    // What the host answers.
    FixedClock clock_{kToday};
    std::string version_text = "test";
    std::function<HealthReport()> health_answer;
    std::function<std::int64_t(const std::string& source)> expire_answer;
    EventReader* events = nullptr;  // none: GET /events answers 404
    kernel::MetricsRegistry metrics_;

    // What the plugin said. Messages are searched without their component.
    bool logged(std::string_view needle) const;
    bool logged(LogLevel level, std::string_view needle) const;
    // Lines at `at_least` or above, "component: message"; and how many contain `text`.
    std::vector<std::string> lines(LogLevel at_least = LogLevel::Debug) const;
    std::size_t count_containing(std::string_view text) const;
    // Every message, one a line (for failure messages).
    std::string log_text() const;
    // (message, request id) of each log_with call.
    std::vector<std::pair<std::string, std::string>> logged_contexts() const;
    void clear_logs();
    // Every event emitted, taken or not; and how many of `event_type`.
    std::vector<SystemEvent> emitted() const;
    std::size_t events_of(std::string_view event_type) const;

  private:
    struct LogLine {
        LogLevel level;
        std::string component;
        std::string message;
    };

    NullIngest null_ingest_;
    StoreReader& reader_;
    Store* full_store_ = nullptr;  // set when capabilities can be asked of the store
    IngestSink& sink_;
    kernel::JsonTradeCodec codec_;
    mutable std::mutex mutex_;
    std::vector<LogLine> lines_;
    std::vector<std::pair<std::string, std::string>> contexts_;
    std::vector<SystemEvent> emitted_;
    std::vector<SystemEvent> queued_;
};

}  // namespace tradestore::test_support
