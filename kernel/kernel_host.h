// The kernel's side of the plugin contract: what sources and jobs reach through Host.
#pragma once

#include <tradestore/host.h>
#include <tradestore/job.h>
#include <tradestore/source.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "event_outbox_writer.h"
#include "event_queue.h"

namespace tradestore::kernel {

class KernelHost final : public Host {
  public:
    KernelHost(std::shared_ptr<Store> store, std::string store_service_name,
               const BusinessClock& clock, const TradeCodec& codec, IngestSink& ingest,
               Metrics& metrics);

    // `gates_readiness`: the source being down makes the process not ready (not just unhealthy).
    void add_source(std::shared_ptr<Source> source, bool gates_readiness) {
        sources_.push_back({std::move(source), gates_readiness});
    }
    void set_store_gates_readiness(bool gates) { store_gates_readiness_ = gates; }
    void add_job(std::shared_ptr<Job> job) { jobs_.push_back(std::move(job)); }

    IngestSink& ingest() override { return ingest_; }
    StoreReader& store() override { return *store_; }
    const StoreCapabilities& capabilities() const override { return capabilities_; }
    const BusinessClock& clock() const override { return clock_; }
    const TradeCodec& codec() const override { return codec_; }
    void log(LogLevel level, std::string_view component, std::string_view message) override;
    void log_with(LogLevel level, std::string_view component, std::string_view message,
                  const LogContext& context) override;
    bool log_enabled(LogLevel level) const override;
    HealthReport health() override;
    std::string_view version() const override;
    std::int64_t expire_now(const std::string& source) override;
    Metrics& metrics() override { return metrics_; }
    // The first job that offers one (jobs are added before any source starts).
    EventReader* event_reader() override;
    void emit_event(std::string_view event_type, EventSeverity severity,
                    std::string_view data_json) override;
    // Empty while the kernel writes events to the store's outbox (store_opened).
    EventBatch take_events(std::size_t max) override;

    // After the store opened: records what it offers (capabilities()) and, when it has an
    // event outbox, starts a writer thread that moves queued events into it from now on;
    // otherwise they wait for take_events, in memory only.
    void store_opened();
    // Stops the writer and writes what is still queued (STOPPED, at shutdown), trying for at
    // most `budget` while the store refuses; logs what could not be written.
    void flush_event_outbox(std::chrono::milliseconds budget);

    // What the kernel learns of the store (a commit, a failed apply, a health check): the
    // first failure after success emits STORE_DOWN, the first success after it STORE_UP.
    // Cheap when nothing changes: called on every commit.
    void note_store_state(bool up, std::string_view error = {});

    // At most this many events wait for the store (or the shipper); beyond, the oldest are
    // dropped.
    static constexpr std::size_t kEventQueueCapacity = 1000;

  private:
    // Takes from the queue, logging the events dropped since the last take.
    EventBatch take_queued(std::size_t max);

    std::shared_ptr<Store> store_;
    StoreCapabilities capabilities_;  // set by store_opened(), before any plugin runs
    std::string store_service_name_;
    const BusinessClock& clock_;
    const TradeCodec& codec_;
    IngestSink& ingest_;
    Metrics& metrics_;
    struct HostedSource {
        std::shared_ptr<Source> source;
        bool gates_readiness = true;
    };
    std::vector<HostedSource> sources_;
    bool store_gates_readiness_ = true;
    std::vector<std::shared_ptr<Job>> jobs_;
    Histogram& expiry_run_trades_;
    Gauge& expiry_last_run_trades_;
    Gauge& expiry_last_run_time_;
    Counter& trades_expired_;

    EventQueue events_{kEventQueueCapacity};
    Counter& events_dropped_;
    std::atomic<bool> dropping_events_{false};  // logged once per spell of drops

    std::atomic<bool> store_up_{true};
    std::mutex store_state_mutex_;
    std::chrono::steady_clock::time_point store_down_since_{};

    // Set before the jobs start (so take_events sees it), stopped before the store closes.
    // Last: destroyed (its thread joined) before the members its thread uses.
    std::unique_ptr<EventOutboxWriter> event_writer_;
};

}  // namespace tradestore::kernel
