// A scheduled job, run on the kernel's scheduler thread.
#pragma once

#include <chrono>

#include "tradestore/host.h"

namespace tradestore {

class Job {
public:
    virtual ~Job() = default;
    virtual std::chrono::milliseconds interval() const = 0;
    virtual bool run_at_start() const { return true; }
    // Errors are logged by the kernel and the job runs again at its next turn.
    virtual void run(Host& host) = 0;
};

}  // namespace tradestore
