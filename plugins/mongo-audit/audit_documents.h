// What the plugin writes to MongoDB, as the original design has it:
//   audit_logs:   {_id: <audit id>, trade_id, action, status: "success" | "failed",
//                  details: {reason_codes: [...], message, received_version, stored_version,
//                            reference},
//                  source: "rest" | "kafka" | "job", timestamp: <BSON date>}
//   trade_events: {_id, event_type, severity, data: {...}, timestamp: <BSON date>}
// An audit document's _id is the store's audit id, so shipping an entry twice is harmless.
// An event's _id is derived from what it reports (the expiry run, the dead-lettered entry) or
// fixed when the event is queued, so a resent event is harmless too.
#pragma once

#include <tradestore/events.h>
#include <tradestore/store.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "mongo_driver.h"

namespace tradestore::plugins::mongo {

inline constexpr const char* kAuditCollection = "audit_logs";
inline constexpr const char* kEventCollection = "trade_events";

// Milliseconds since the epoch, as a BSON date holds them (rounded towards the past).
std::int64_t to_millis(Timestamp timestamp);

BsonPtr audit_document(const AuditEntry& entry);

using EventValue = std::variant<std::int64_t, std::string, std::vector<std::string>>;

struct Event {
    std::string id;          // the document's _id
    std::string event_type;  // TRADES_EXPIRED, DEAD_LETTERED, or one the kernel queued
    std::string severity;    // INFO, WARNING, ERROR
    std::vector<std::pair<std::string, EventValue>> data;
    Timestamp timestamp{};
    // A kernel event's data, a JSON object; when set it is `data` and the pairs are unused.
    std::string data_json{};
};

// An event the kernel queued (Host::take_events), as the plugin writes it.
Event from_system_event(const SystemEvent& event);

BsonPtr event_document(const Event& event);

// One run of the expiry job (or of POST /expire-trades) as its EXPIRE entries show it: a run
// writes all its entries in one transaction, so they share source and timestamp. A run's
// entries may be spread over several shipped batches.
struct ExpiryRun {
    std::string source;
    Timestamp timestamp{};
    std::string reference;  // the business date the run expired against

    // "TRADES_EXPIRED:<source>:<timestamp in microseconds>"
    std::string event_id() const;
};

// The expiry runs among `entries`, each once, in the order of their first entry.
std::vector<ExpiryRun> expiry_runs(std::span<const AuditEntry> entries);

// TRADES_EXPIRED {count, source, business_date} at the run's timestamp.
Event expiry_event(const ExpiryRun& run, std::int64_t count);

// One DEAD_LETTERED event per audit entry carrying the DEAD_LETTERED reason code (a Kafka
// message that could not be applied), with id "DEAD_LETTERED:<audit id>".
std::vector<Event> dead_letter_events(std::span<const AuditEntry> entries);

}  // namespace tradestore::plugins::mongo
