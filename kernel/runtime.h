// A running deployment: creates every plugin object from a validated plan and starts them
// in order — store, rules, ingest, jobs, sources — and stops them in reverse.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "business_clock.h"
#include "deployment_plan.h"
#include "ingest_metrics.h"
#include "ingest_pipeline.h"
#include "job_scheduler.h"
#include "kernel_host.h"
#include "metrics_registry.h"
#include "trade_codec.h"

namespace tradestore::kernel {

class Runtime {
  public:
    explicit Runtime(const DeploymentPlan& plan);
    ~Runtime();

    // Throws std::runtime_error with a one-line message; whatever started is stopped again.
    void start();
    // Stops intake, drains in-flight batches, stops jobs and closes the store.
    void stop();
    // Hands a re-read, validated config to every running source (Source::reload) and logs
    // what else changed, which takes a restart. The running plan stays the one started with.
    void reload(const DeploymentPlan& fresh);

    KernelHost& host() { return *host_; }
    MetricsRegistry& metrics() { return metrics_; }

  private:
    void log(LogLevel level, const std::string& message);
    // {"version", "host", "pid"<extra>} for STARTED and STOPPED; `extra` starts with ','.
    std::string process_facts(std::string_view extra = {}) const;

    const DeploymentPlan& plan_;
    // First member: every metric handle lives until the plugins holding them are gone.
    MetricsRegistry metrics_;
    IngestMetrics ingest_metrics_{metrics_};
    ZonedBusinessClock clock_;
    JsonTradeCodec codec_;
    std::shared_ptr<Store> store_;
    std::vector<std::shared_ptr<Rule>> rules_;
    std::unique_ptr<IngestPipeline> pipeline_;
    std::unique_ptr<KernelHost> host_;
    std::unique_ptr<JobScheduler> scheduler_;
    std::vector<std::pair<std::string, std::shared_ptr<Source>>> sources_;
    std::vector<std::pair<std::string, std::shared_ptr<Source>>> started_sources_;
    bool store_open_ = false;
    bool running_ = false;  // started, STOPPED not yet emitted
    std::chrono::steady_clock::time_point started_at_{};
};

}  // namespace tradestore::kernel
