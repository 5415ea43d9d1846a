// GET /api/v1/events: its query parameters and its answer, in the shape of GET /audit-logs.
//   ?event_type=STOPPED&severity=INFO&skip=0&limit=100
//   {"events": [{"id", "event_type", "severity", "data": {...}, "timestamp"}], "count": N}
#pragma once

#include <tradestore/codec.h>
#include <tradestore/events.h>

#include <string>
#include <string_view>
#include <vector>

#include "query_params.h"

namespace tradestore::rest {

// event_type: 1..50 of A-Z, 0-9 and '_' starting with a letter (what event types are made of);
// severity: INFO, WARNING or ERROR; skip and limit as on every list route. Appends one
// FieldError per bad parameter, in that order.
EventQuery parse_event_query(const QueryParams& params, std::vector<FieldError>& errors);

// The 404 answer's detail when no plugin offers an event store.
inline constexpr std::string_view kNoEventStore =
    "No event store is configured: events are kept by the mongo-audit plugin";

inline constexpr std::string_view kEventTypePattern = "^[A-Z][A-Z0-9_]{0,49}$";
bool is_event_type(std::string_view text);

// {"events":[...],"count":N}; `data` is the event's data_json as it is (a JSON object).
void append_events(std::string& out, const std::vector<SystemEvent>& events);

}  // namespace tradestore::rest
