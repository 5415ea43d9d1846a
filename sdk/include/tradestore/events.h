// System events (STARTED, STOPPED, KAFKA_ERROR, STORE_DOWN, ...): what a plugin emits through
// Host::emit_event, what the kernel hands to the plugin that ships them (Host::take_events),
// and the interface of a plugin that keeps them and lets others read them (EventReader,
// offered through Job::event_reader and found with Host::event_reader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/trade.h"

namespace tradestore {

enum class EventSeverity : std::uint8_t { Info, Warning, Error };

inline std::string_view to_string(EventSeverity severity) {
    switch (severity) {
        case EventSeverity::Info:
            return "INFO";
        case EventSeverity::Warning:
            return "WARNING";
        case EventSeverity::Error:
            return "ERROR";
    }
    return "INFO";
}

// "INFO", "WARNING" or "ERROR" exactly; nullopt otherwise.
inline std::optional<EventSeverity> parse_event_severity(std::string_view text) {
    if (text == "INFO") return EventSeverity::Info;
    if (text == "WARNING") return EventSeverity::Warning;
    if (text == "ERROR") return EventSeverity::Error;
    return std::nullopt;
}

struct SystemEvent {
    // Unique, fixed when the event is emitted ("<event_type>:<hex>"), so a resend is harmless.
    std::string id;
    std::string event_type;  // upper case, e.g. "STOPPED"
    EventSeverity severity = EventSeverity::Info;
    std::string data_json = "{}";  // always a JSON object
    Timestamp timestamp{};
};

// What Host::take_events hands over: the oldest queued events, and how many the kernel's
// bounded queue dropped (oldest first) since the last call.
struct EventBatch {
    std::vector<SystemEvent> events;
    std::int64_t dropped = 0;
};

struct EventQuery {
    std::optional<std::string> event_type;
    std::optional<EventSeverity> severity;
    std::int64_t skip = 0;
    std::int64_t limit = 100;
};

// The event store cannot be reached; HTTP answers 503 and the caller may retry.
class EventsUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Read access to the events a plugin keeps (mongo-audit: MongoDB's trade_events).
class EventReader {
  public:
    virtual ~EventReader() = default;
    // Newest first, filtered and paged as asked. Called from several threads at once.
    // Throws EventsUnavailable when the event store cannot be reached.
    virtual std::vector<SystemEvent> events(const EventQuery& query) = 0;
};

}  // namespace tradestore
