// GET /api/v1/events: the system events kept by the plugin that offers an event store
// (mongo-audit: MongoDB's trade_events). Without one the route answers 404 with a detail that
// says why: this deployment has no events to find. (Not 501: a 5xx would say the server
// failed, and monitoring and contract checks count it as one.)
#include <tradestore/events.h>

#include "event_query.h"
#include "handlers.h"
#include "response_bodies.h"

namespace tradestore::rest {

Reply Handlers::events(Exchange& exchange) {
    std::vector<FieldError> errors;
    const EventQuery query = parse_event_query(QueryParams(exchange.query), errors);
    if (!errors.empty()) return validation_failed(exchange, errors);
    EventReader* reader = host_.event_reader();
    if (reader == nullptr) {
        append_detail(exchange.body, kNoEventStore);
        return {404};
    }
    std::vector<SystemEvent> events;
    try {
        events = reader->events(query);
    } catch (const EventsUnavailable& error) {
        host_.log_with(LogLevel::Warning, "rest-source",
                       std::string("event store unavailable: ") + error.what(),
                       {.request_id = exchange.request_id});
        return unavailable(exchange);
    }
    append_events(exchange.body, events);
    return {200};
}

}  // namespace tradestore::rest
