// The event outbox of the SQLite store: the kernel appends system events (one short write
// transaction per batch, idempotent on the event id); the shipper (mongo-audit) reads the
// unshipped ones oldest first, ships them and marks them, per event.
#include <algorithm>

#include "dates.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

void SqliteStore::append_events(const std::vector<SystemEvent>& events) {
    if (events.empty()) return;
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    for (const SystemEvent& event : events) {
        auto insert = db.use(Query::AppendEvent);
        insert->bind_text(1, event.id);
        insert->bind_text(2, event.event_type);
        insert->bind_text(3, to_string(event.severity));
        insert->bind_text(4, event.data_json);
        insert->bind_int(5, to_micros(event.timestamp));
        insert->run();
    }
    transaction.commit();
}

std::vector<SystemEvent> SqliteStore::unshipped_events(std::int64_t limit) {
    namespace column = sqlite::event_column;
    std::vector<SystemEvent> events;
    if (limit <= 0) return events;
    events.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 10'000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::UnshippedEvents);
    select->bind_int(1, limit);
    while (select->step()) {
        SystemEvent event;
        event.id = std::string(select->column_text(column::kId));
        event.event_type = std::string(select->column_text(column::kEventType));
        // The column's CHECK admits the three names only.
        event.severity = parse_event_severity(select->column_text(column::kSeverity))
                             .value_or(EventSeverity::Info);
        event.data_json = std::string(select->column_text(column::kData));
        event.timestamp = from_micros(select->column_int(column::kTimestamp));
        events.push_back(std::move(event));
    }
    return events;
}

void SqliteStore::mark_events_shipped(const std::vector<std::string>& event_ids) {
    if (event_ids.empty()) return;
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    for (const std::string& id : event_ids) {
        auto mark = db.use(Query::MarkEventShipped);
        mark->bind_text(1, id);
        mark->run();
    }
    transaction.commit();
}

std::int64_t SqliteStore::prune_shipped_events(Timestamp older_than) {
    return prune_in_chunks(Query::PruneShippedEvents, older_than);
}

}  // namespace tradestore::plugins
