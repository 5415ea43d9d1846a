// GET /api/v1/events reads trade_events through this: a MongoDB client of its own (the job's
// belongs to the scheduler thread), one request at a time. While MongoDB cannot be reached a
// request fails within the URI's server-selection timeout (3 s unless set) with
// EventsUnavailable, which HTTP answers 503.
#pragma once

#include <tradestore/events.h>

#include <mutex>
#include <string>

#include "mongo_sink.h"

namespace tradestore::plugins::mongo {

class MongoEventReader final : public EventReader {
  public:
    // Throws std::invalid_argument when the URI does not parse.
    MongoEventReader(const std::string& uri, std::string database)
        : sink_(uri, std::move(database)) {}

    std::vector<SystemEvent> events(const EventQuery& query) override;
    void disconnect() noexcept;

  private:
    std::mutex mutex_;
    MongoSink sink_;
};

}  // namespace tradestore::plugins::mongo
