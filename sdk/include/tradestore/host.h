// What the kernel offers to the plugins it runs: the ingest path (the only way to write),
// read access to the store and its capabilities, the business clock, the codec, logging,
// metrics and health.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/clock.h"
#include "tradestore/codec.h"
#include "tradestore/events.h"
#include "tradestore/metrics.h"
#include "tradestore/outcome.h"
#include "tradestore/store.h"
#include "tradestore/store_capabilities.h"

namespace tradestore {

enum class IngestStatus : std::uint8_t {
    Committed,     // items hold one result per candidate
    Unavailable,   // the store failed; nothing of this batch was committed; retry later
    ShuttingDown,  // the kernel is stopping and takes no new work
    // The store could not learn whether it committed (CommitOutcomeUnknown); a retry of
    // positioned candidates is safe (the store skips what committed); a request without an
    // idempotency key may have been applied.
    OutcomeUnknown,
    KeyInUse,  // an idempotency key of the batch is held (IdempotencyKeyInUse); nothing
               // of this batch was committed
};

struct IngestResult {
    IngestStatus status = IngestStatus::Committed;
    std::vector<ItemResult> items;
    std::string error;  // for operators' logs; never shown to clients verbatim
};

// The single path into the store. A source learns each item's outcome only after the store
// has committed: `done` runs then (on a kernel thread), exactly once per submit.
class IngestSink {
  public:
    virtual ~IngestSink() = default;
    virtual void submit(Batch batch, std::function<void(IngestResult)> done) = 0;

    // The last position applied for a source's partition (Batch::positions), if one was
    // recorded: where a partitioned source resumes.
    virtual std::optional<std::int64_t> position(const std::string& source,
                                                 const std::string& stream,
                                                 std::int32_t partition) = 0;

    IngestResult submit_and_wait(Batch batch) {
        std::promise<IngestResult> promise;
        auto future = promise.get_future();
        submit(std::move(batch),
               [&promise](IngestResult result) { promise.set_value(std::move(result)); });
        return future.get();
    }
};

enum class LogLevel : std::uint8_t { Debug, Info, Warning, Error };

// One more field of a log line, e.g. an access log's {"status", "201", true}.
struct LogField {
    std::string_view name;
    std::string_view value;
    bool number = false;  // written unquoted in JSON: the value must then be a JSON number
};

// Structured fields of a log line, where they apply; empty ones are left out. The JSON log
// format writes them as "request_id", "trade_id" and "source", then each of `fields` as a
// member of its own; the plain format shows the first three and leaves `fields` to the
// message text, so that plain lines stay as they were.
struct LogContext {
    std::string_view request_id{};
    std::string_view trade_id{};
    std::string_view source{};
    std::span<const LogField> fields{};
};

struct HealthReport {
    bool healthy = true;                          // every part is up (GET /health)
    std::map<std::string, std::string> services;  // e.g. {"sqlite": "up"}
    // The parts [kernel] readiness names are up (GET /health/ready): a load balancer keeps
    // sending requests while, say, Kafka is down, unless the operator listed it.
    bool ready = true;
};

class Host {
  public:
    virtual ~Host() = default;
    virtual IngestSink& ingest() = 0;
    // The store's client reads (what REST queries serve). Writes go through ingest().
    virtual StoreReader& store() = 0;
    // What the store offers beyond reads, as the kernel found it at start: the outboxes a
    // shipping job drains, idempotency keys, history, replicas (tradestore/store_capabilities.h).
    virtual const StoreCapabilities& capabilities() const = 0;
    virtual const BusinessClock& clock() const = 0;
    virtual const TradeCodec& codec() const = 0;
    virtual void log(LogLevel level, std::string_view component, std::string_view message) = 0;
    // A log line with structured fields. Hosts without structured logging drop the fields.
    virtual void log_with(LogLevel level, std::string_view component, std::string_view message,
                          const LogContext& context) {
        (void)context;
        log(level, component, message);
    }
    // Whether a line at this level would be written; lets a caller skip building it.
    virtual bool log_enabled(LogLevel level) const {
        (void)level;
        return true;
    }
    virtual HealthReport health() = 0;
    virtual std::string_view version() const = 0;
    // Runs the expiry now, as POST /expire-trades asks; returns how many trades it marked.
    virtual std::int64_t expire_now(const std::string& source) = 0;
    // The process's metrics registry: take handles once (at start), record on the hot path.
    // Hosts that expose no metrics keep this default, which records and renders nothing.
    virtual Metrics& metrics() {
        static DiscardingMetrics discarding;
        return discarding;
    }

    // Queues a system event (tradestore/events.h): returns at once, never blocks, callable
    // from any thread (a librdkafka callback, say). `data_json` is a JSON object. The kernel
    // writes queued events to the store's event outbox (EventOutbox) on its own
    // thread, from which the plugin that ships events reads them; while the store is down
    // they wait in a bounded queue: beyond it the oldest are dropped, counted and logged.
    // Hosts that keep no events ignore them.
    virtual void emit_event(std::string_view event_type, EventSeverity severity,
                            std::string_view data_json) {
        (void)event_type;
        (void)severity;
        (void)data_json;
    }
    // For the one plugin that ships events (mongo-audit), when the store has no event outbox
    // (capabilities().event_outbox is nullptr): takes up to `max` queued events, oldest
    // first, which then live only in the taker's memory. Empty while the kernel writes events
    // to the store's outbox.
    virtual EventBatch take_events(std::size_t max) {
        (void)max;
        return {};
    }
    // The event store a plugin offers (Job::event_reader), or nullptr when none does.
    virtual EventReader* event_reader() { return nullptr; }
};

}  // namespace tradestore
