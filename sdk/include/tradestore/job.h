// A scheduled job, run on the kernel's scheduler thread.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "tradestore/host.h"

namespace tradestore {

class Job {
  public:
    virtual ~Job() = default;
    virtual std::chrono::milliseconds interval() const = 0;
    virtual bool run_at_start() const { return true; }
    // Errors are logged by the kernel and the job runs again at its next turn.
    virtual void run(Host& host) = 0;
    // Entries for GET /health's "services", e.g. {"mongodb": "down"}. They inform; a job's
    // trouble never makes the store or its sources unhealthy.
    virtual std::map<std::string, std::string> health_details() const { return {}; }
    // Called once at shutdown, on the kernel's thread, after the sources and the ingest path
    // have stopped and before the store closes: a last chance to ship what is queued (the
    // STOPPED event). Keep it short; errors are logged by the kernel.
    virtual void finish(Host& host) { (void)host; }
    // The events this job keeps, for GET /api/v1/events (see Host::event_reader); it must
    // live as long as the job.
    virtual EventReader* event_reader() { return nullptr; }
};

}  // namespace tradestore
