#include "kernel_host.h"

#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <tradestore/read_replicas.h>

#include <chrono>
#include <cstdio>

#include "logging_setup.h"

namespace tradestore::kernel {

namespace {

constexpr double kExpiryRunBuckets[] = {0, 1, 10, 100, 1000, 10'000, 100'000, 1'000'000};

Poco::Message::Priority priority(LogLevel level) {
    switch (level) {
        case LogLevel::Debug:
            return Poco::Message::PRIO_DEBUG;
        case LogLevel::Info:
            return Poco::Message::PRIO_INFORMATION;
        case LogLevel::Warning:
            return Poco::Message::PRIO_WARNING;
        case LogLevel::Error:
            return Poco::Message::PRIO_ERROR;
    }
    return Poco::Message::PRIO_INFORMATION;
}

}  // namespace

KernelHost::KernelHost(std::shared_ptr<Store> store, std::string store_service_name,
                       const BusinessClock& clock, const TradeCodec& codec, IngestSink& ingest,
                       Metrics& metrics)
    : store_(std::move(store)),
      store_service_name_(std::move(store_service_name)),
      clock_(clock),
      codec_(codec),
      ingest_(ingest),
      metrics_(metrics),
      expiry_run_trades_(metrics.histogram("tradestore_expiry_run_trades",
                                           "Trades marked expired by one expiry run.",
                                           kExpiryRunBuckets)),
      expiry_last_run_trades_(metrics.gauge("tradestore_expiry_last_run_trades",
                                            "Trades marked expired by the last expiry run.")),
      expiry_last_run_time_(
          metrics.gauge("tradestore_expiry_last_run_timestamp_seconds",
                        "When the last expiry run finished, in seconds since the epoch.")),
      trades_expired_(metrics.counter("tradestore_trades_expired_total",
                                      "Trades marked expired by expiry runs.")),
      events_dropped_(metrics.counter(
          "tradestore_events_dropped_total",
          "System events dropped from the kernel's full event queue (oldest first).")) {}

void KernelHost::log(LogLevel level, std::string_view component, std::string_view message) {
    Poco::Logger& logger = Poco::Logger::get(std::string(component));
    if (!logger.is(priority(level))) return;
    logger.log(Poco::Message(std::string(component), std::string(message), priority(level)));
}

void KernelHost::log_with(LogLevel level, std::string_view component, std::string_view message,
                          const LogContext& context) {
    Poco::Logger& logger = Poco::Logger::get(std::string(component));
    if (!logger.is(priority(level))) return;
    Poco::Message line(std::string(component), std::string(message), priority(level));
    set_log_context(line, context);
    logger.log(line);
}

bool KernelHost::log_enabled(LogLevel level) const {
    return Poco::Logger::root().is(priority(level));
}

HealthReport KernelHost::health() {
    HealthReport report;
    bool store_up = false;
    try {
        store_up = store_->healthy();
    } catch (const std::exception&) {
        store_up = false;
    }
    note_store_state(store_up, "the health check failed");
    report.services[store_service_name_] = store_up ? "up" : "down";
    report.healthy = store_up;
    report.ready = store_up || !store_gates_readiness_;
    // Read replicas inform; a replica down or lagging fails neither health nor readiness,
    // since the primary serves the reads (unless read_fallback is off, which is the
    // operator's choice to answer 503 instead).
    if (ReadReplicas* replicas = store_->read_replicas()) {
        for (const ReplicaState& replica : replicas->replica_states()) {
            report.services["replica " + replica.name] =
                replica.in_rotation ? "up" : (replica.reachable ? "lagging" : "down");
            if (replica.lag_seconds) {
                char lag[32];
                std::snprintf(lag, sizeof lag, "%.3f", *replica.lag_seconds);
                report.services["replica " + replica.name + " lag_seconds"] = lag;
            }
        }
    }
    for (const auto& [source, gates_readiness] : sources_) {
        const bool up = source->healthy();
        report.services[source->health_name()] = up ? "up" : "down";
        report.healthy = report.healthy && up;
        if (gates_readiness) report.ready = report.ready && up;
        for (auto& [name, state] : source->health_details()) report.services[name] = state;
    }
    for (const auto& job : jobs_) {
        for (auto& [name, state] : job->health_details()) report.services[name] = state;
    }
    return report;
}

EventReader* KernelHost::event_reader() {
    for (const auto& job : jobs_) {
        if (EventReader* reader = job->event_reader()) return reader;
    }
    return nullptr;
}

void KernelHost::emit_event(std::string_view event_type, EventSeverity severity,
                            std::string_view data_json) {
    SystemEvent event;
    event.id = new_event_id(event_type);
    event.event_type = std::string(event_type);
    event.severity = severity;
    event.data_json = event_data_object(data_json);
    event.timestamp = now_utc();
    log(LogLevel::Debug, "events", "event " + event.event_type + " " + event.data_json);
    if (!events_.push(std::move(event))) return;
    events_dropped_.inc();
    if (!dropping_events_.exchange(true)) {
        log(LogLevel::Warning, "events",
            "the event queue is full (" + std::to_string(events_.capacity()) +
                " events, nothing takes them): dropping the oldest");
    }
}

EventBatch KernelHost::take_events(std::size_t max) {
    if (event_writer_) return {};
    return take_queued(max);
}

void KernelHost::store_opened() {
    capabilities_ = capabilities_of(*store_);
    if (capabilities_.event_outbox == nullptr) {
        log(LogLevel::Warning, "events",
            "the store " + store_service_name_ +
                " has no event outbox: system events wait in memory only, for the plugin that "
                "ships them");
        return;
    }
    event_writer_ = std::make_unique<EventOutboxWriter>(
        events_, *capabilities_.event_outbox,
        EventOutboxWriter::Hooks{
            .take = [this](std::size_t max) { return take_queued(max); },
            .log = [this](LogLevel level,
                          const std::string& message) { log(level, "events", message); },
            .store_state = [this](bool up,
                                  const std::string& error) { note_store_state(up, error); }});
    event_writer_->start();
}

void KernelHost::flush_event_outbox(std::chrono::milliseconds budget) {
    if (!event_writer_) return;
    event_writer_->stop();
    const std::size_t left = event_writer_->flush(std::chrono::steady_clock::now() + budget);
    if (left > 0) {
        log(LogLevel::Error, "events",
            std::to_string(left) +
                " event(s) could not be written to the store before it closed and are lost");
    }
}

EventBatch KernelHost::take_queued(std::size_t max) {
    EventBatch batch = events_.take(max);
    if (batch.dropped > 0) {
        dropping_events_ = false;
        log(LogLevel::Warning, "events",
            std::to_string(batch.dropped) + " event(s) were dropped before they could be taken");
    }
    return batch;
}

void KernelHost::note_store_state(bool up, std::string_view error) {
    if (store_up_.load(std::memory_order_relaxed) == up) return;
    std::lock_guard lock(store_state_mutex_);
    if (store_up_.load() == up) return;  // another thread reported it first
    store_up_ = up;
    std::string data = "{\"store\":";
    append_json_string(data, store_service_name_);
    if (up) {
        const auto down_for = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - store_down_since_);
        data += ",\"down_seconds\":" + std::to_string(down_for.count()) + "}";
        emit_event("STORE_UP", EventSeverity::Info, data);
    } else {
        store_down_since_ = std::chrono::steady_clock::now();
        data += ",\"error\":";
        append_json_string(data, error);
        data += "}";
        emit_event("STORE_DOWN", EventSeverity::Error, data);
    }
}

std::string_view KernelHost::version() const {
    return TRADESTORE_VERSION;
}

std::int64_t KernelHost::expire_now(const std::string& source) {
    const std::int64_t marked = store_->expire(clock_.today(), source);
    expiry_run_trades_.observe(static_cast<double>(marked));
    expiry_last_run_trades_.set(static_cast<double>(marked));
    expiry_last_run_time_.set(
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
    trades_expired_.inc(static_cast<std::uint64_t>(marked));
    log_with(LogLevel::Info, "expiry",
             "expiry run (" + source + ") marked " + std::to_string(marked) + " trade(s) expired",
             {.source = source});
    return marked;
}

}  // namespace tradestore::kernel
