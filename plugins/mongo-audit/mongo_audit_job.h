// The mongo-audit job: on the kernel's scheduler thread (never on the ingest path), each run
// ships the store's audit outbox to MongoDB, writes the events it implies, ships the store's
// event outbox (the kernel's STARTED, STOPPED, STORE_DOWN, ...; with a store that has none,
// the events the kernel queued in memory), and every retention_interval applies retention. With
// several instances on one database, the kernel's per-period job claim lets one instance ship per
// period (and an overlap would only resend documents MongoDB already has).
//
// While MongoDB is down the backlog waits in the store: a run logs the failure (once, then
// once a minute) and the next run tries again; nothing is lost, nothing is sent twice into
// MongoDB (ids), and ingestion never waits for it.
#pragma once

#include <tradestore/job.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "audit_shipper.h"
#include "mongo_audit_settings.h"
#include "mongo_event_reader.h"
#include "mongo_sink.h"

namespace tradestore::plugins::mongo {

class MongoAuditJob final : public Job {
  public:
    // Throws std::invalid_argument when the URI does not parse.
    explicit MongoAuditJob(MongoAuditSettings settings);
    ~MongoAuditJob() override;
    MongoAuditJob(const MongoAuditJob&) = delete;
    MongoAuditJob& operator=(const MongoAuditJob&) = delete;

    std::chrono::milliseconds interval() const override { return settings_.interval; }
    bool run_at_start() const override { return true; }
    void run(Host& host) override;
    std::map<std::string, std::string> health_details() const override {
        return {{"mongodb", mongo_up() ? "up" : "down"}};
    }

    EventReader* event_reader() override { return &event_reader_; }

    // Whether the last run reached MongoDB (for a health report; see docs/mongodb.md).
    bool mongo_up() const noexcept { return mongo_up_.load(); }

    // At shutdown (the kernel has queued STOPPED): one more run, so that it and the last
    // audit entries reach MongoDB before the store closes.
    void finish(Host& host) override { run(host); }

    // With a store that has no event outbox, the kernel's events wait here, once taken from
    // the host, until MongoDB takes them; the oldest are dropped beyond this many.
    static constexpr std::size_t kMaxQueuedEvents = 1000;

  private:
    void take_host_events();
    void queue_event(Event event);
    void flush_events();
    void note_mongo_failure(const std::string& error);
    void note_mongo_success();
    void note_store_failure(const std::string& error);
    void note_store_success();
    void refresh_backlog();
    void retention_if_due();
    void record_metrics(const ShipReport& report, bool mongo_failed);
    void log(LogLevel level, const std::string& message);

    static void log_from_driver(mongoc_log_level_t level, const char* domain, const char* message,
                                void* self);

    const MongoAuditSettings settings_;
    MongoSink sink_;
    AuditShipper shipper_;
    MongoEventReader event_reader_;
    Host* host_ = nullptr;  // set by the first run; the kernel's host outlives its jobs
    bool started_ = false;

    std::deque<Event> queued_events_;
    std::int64_t dropped_events_ = 0;

    std::atomic<bool> mongo_up_{false};
    std::optional<std::chrono::steady_clock::time_point> mongo_down_since_;
    std::chrono::steady_clock::time_point last_down_log_{};
    std::int64_t failed_runs_ = 0;
    std::int64_t shipped_since_recovery_ = 0;
    bool catching_up_ = false;

    std::optional<std::chrono::system_clock::time_point> store_down_since_;

    std::optional<std::chrono::steady_clock::time_point> next_retention_;

    // Taken from the host's metrics registry by the first run (GET /metrics).
    Gauge* up_gauge_ = nullptr;
    Counter* shipped_counter_ = nullptr;
    Counter* failed_runs_counter_ = nullptr;
    Gauge* last_success_gauge_ = nullptr;
    Gauge* backlog_gauge_ = nullptr;
};

}  // namespace tradestore::plugins::mongo
