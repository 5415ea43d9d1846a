#include "mongo_event_reader.h"

namespace tradestore::plugins::mongo {

std::vector<SystemEvent> MongoEventReader::events(const EventQuery& query) {
    std::lock_guard lock(mutex_);
    try {
        return sink_.find_events(query);
    } catch (const MongoError& error) {
        sink_.disconnect();  // a fresh connection for the next request
        throw EventsUnavailable(error.what());
    }
}

void MongoEventReader::disconnect() noexcept {
    std::lock_guard lock(mutex_);
    sink_.disconnect();
}

}  // namespace tradestore::plugins::mongo
