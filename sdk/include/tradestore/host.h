// What the kernel offers to the plugins it runs: the ingest path, read access to the store,
// the business clock, the codec, logging and health.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/clock.h"
#include "tradestore/codec.h"
#include "tradestore/outcome.h"
#include "tradestore/store.h"

namespace tradestore {

enum class IngestStatus : std::uint8_t {
    Committed,    // items hold one result per candidate
    Unavailable,  // the store failed; nothing of this batch was committed; retry later
    ShuttingDown, // the kernel is stopping and takes no new work
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

    IngestResult submit_and_wait(Batch batch) {
        std::promise<IngestResult> promise;
        auto future = promise.get_future();
        submit(std::move(batch), [&promise](IngestResult result) {
            promise.set_value(std::move(result));
        });
        return future.get();
    }
};

enum class LogLevel : std::uint8_t { Debug, Info, Warning, Error };

struct HealthReport {
    bool healthy = true;
    std::map<std::string, std::string> services;  // e.g. {"sqlite": "up"}
};

class Host {
public:
    virtual ~Host() = default;
    virtual IngestSink& ingest() = 0;
    virtual Store& store() = 0;
    virtual const BusinessClock& clock() const = 0;
    virtual const TradeCodec& codec() const = 0;
    virtual void log(LogLevel level, std::string_view component, std::string_view message) = 0;
    virtual HealthReport health() = 0;
    virtual std::string_view version() const = 0;
    // Runs the expiry now, as POST /expire-trades asks; returns how many trades it marked.
    virtual std::int64_t expire_now(const std::string& source) = 0;
};

}  // namespace tradestore
