// An ingest source: turns the outside world into batches for the kernel's ingest path.
// Lifecycle: start() once after the store, rules and jobs are up; stop() once, which stops
// intake, waits for in-flight batches to be committed and answered, and then returns.
#pragma once

#include <map>
#include <string>

#include "tradestore/host.h"
#include "tradestore/settings.h"

namespace tradestore {

class Source {
  public:
    virtual ~Source() = default;
    // Throws std::runtime_error with a one-line message when it cannot start (port in use).
    virtual void start(Host& host) = 0;
    virtual void stop() = 0;
    // Name and state for GET /health, e.g. {"rest", "up"}.
    virtual std::string health_name() const = 0;
    virtual bool healthy() const = 0;
    // Extra entries for GET /health's "services", e.g. {"kafka_consumer_lag": "12"}. They
    // inform; they do not change the overall status.
    virtual std::map<std::string, std::string> health_details() const { return {}; }
    // The daemon re-read its config (SIGHUP) and the source's section validated. A source
    // applies what it can change while running (e.g. credentials) without dropping work in
    // flight, and logs what needs a restart. Called on every reload, even when the settings
    // read the same (a file they name may have changed); from the kernel's reload thread, never
    // concurrently with itself, and only between start() and stop(). The default applies
    // nothing.
    virtual void reload(const Settings& settings) { (void)settings; }
};

}  // namespace tradestore
