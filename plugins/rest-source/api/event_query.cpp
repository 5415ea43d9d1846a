#include "event_query.h"

#include "response_bodies.h"

namespace tradestore::rest {

bool is_event_type(std::string_view text) {
    if (text.empty() || text.size() > 50 || text[0] < 'A' || text[0] > 'Z') return false;
    for (const char c : text) {
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

EventQuery parse_event_query(const QueryParams& params, std::vector<FieldError>& errors) {
    EventQuery query;
    if (const std::string* type = params.find("event_type")) {
        if (is_event_type(*type)) {
            query.event_type = *type;
        } else {
            errors.push_back(
                {{"query", "event_type"},
                 "String should match pattern '" + std::string(kEventTypePattern) + "'",
                 "string_pattern_mismatch"});
        }
    }
    if (const std::string* severity = params.find("severity")) {
        query.severity = parse_event_severity(*severity);
        if (!query.severity) {
            errors.push_back(
                {{"query", "severity"}, "Input should be 'INFO', 'WARNING' or 'ERROR'", "enum"});
        }
    }
    const Paging paging = parse_paging(params, errors);
    query.skip = paging.skip;
    query.limit = paging.limit;
    return query;
}

void append_events(std::string& out, const std::vector<SystemEvent>& events) {
    out.append("{\"events\":[");
    for (std::size_t i = 0; i < events.size(); ++i) {
        const SystemEvent& event = events[i];
        if (i != 0) out.push_back(',');
        out.append("{\"id\":");
        append_json_string(out, event.id);
        out.append(",\"event_type\":");
        append_json_string(out, event.event_type);
        out.append(",\"severity\":");
        append_json_string(out, to_string(event.severity));
        out.append(",\"data\":");
        out.append(event.data_json.empty() ? std::string_view("{}") : event.data_json);
        out.append(",\"timestamp\":\"");
        append_timestamp(out, event.timestamp);
        out.append("\"}");
    }
    out.append("],\"count\":");
    out.append(std::to_string(events.size()));
    out.push_back('}');
}

}  // namespace tradestore::rest
