#include "audit_documents.h"

#include <algorithm>
#include <array>

namespace tradestore::plugins::mongo {
namespace {

void append_int_or_null(bson_t* document, const char* key,
                        const std::optional<std::int64_t>& value) {
    if (value) {
        BSON_APPEND_INT64(document, key, *value);
    } else {
        BSON_APPEND_NULL(document, key);
    }
}

void append_strings(bson_t* document, const char* key, const std::vector<std::string>& values) {
    bson_t array;
    BSON_APPEND_ARRAY_BEGIN(document, key, &array);
    std::array<char, 16> buffer{};
    for (std::size_t i = 0; i < values.size(); ++i) {
        const char* index_key = nullptr;
        const std::size_t length = bson_uint32_to_string(static_cast<std::uint32_t>(i), &index_key,
                                                         buffer.data(), buffer.size());
        bson_append_utf8(&array, index_key, static_cast<int>(length), values[i].data(),
                         static_cast<int>(values[i].size()));
    }
    bson_append_array_end(document, &array);
}

bool dead_lettered(const AuditEntry& entry) {
    return std::find(entry.reason_codes.begin(), entry.reason_codes.end(), "DEAD_LETTERED") !=
           entry.reason_codes.end();
}

// "data": the JSON object parsed into BSON; {"text": json} when libbson cannot read it.
void append_json_data(bson_t* document, std::string_view json) {
    bson_error_t error;
    BsonPtr data(bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json.data()),
                                    static_cast<ssize_t>(json.size()), &error));
    if (data) {
        BSON_APPEND_DOCUMENT(document, "data", data.get());
        return;
    }
    bson_t fallback;
    BSON_APPEND_DOCUMENT_BEGIN(document, "data", &fallback);
    append_text(&fallback, "text", json);
    bson_append_document_end(document, &fallback);
}

}  // namespace

Event from_system_event(const SystemEvent& event) {
    Event converted;
    converted.id = event.id;
    converted.event_type = event.event_type;
    converted.severity = std::string(to_string(event.severity));
    converted.timestamp = event.timestamp;
    converted.data_json = event.data_json.empty() ? "{}" : event.data_json;
    return converted;
}

std::int64_t to_millis(Timestamp timestamp) {
    return std::chrono::floor<std::chrono::milliseconds>(timestamp).time_since_epoch().count();
}

BsonPtr audit_document(const AuditEntry& entry) {
    BsonPtr document = new_bson();
    bson_t* doc = document.get();
    BSON_APPEND_INT64(doc, "_id", entry.id);
    append_text(doc, "trade_id", entry.trade_id);
    append_text(doc, "action", to_string(entry.action));
    append_text(doc, "status", entry.success ? "success" : "failed");
    bson_t details;
    BSON_APPEND_DOCUMENT_BEGIN(doc, "details", &details);
    append_strings(&details, "reason_codes", entry.reason_codes);
    append_text(&details, "message", entry.message);
    append_int_or_null(&details, "received_version", entry.received_version);
    append_int_or_null(&details, "stored_version", entry.stored_version);
    append_text(&details, "reference", entry.reference);
    bson_append_document_end(doc, &details);
    append_text(doc, "source", entry.source);
    BSON_APPEND_DATE_TIME(doc, "timestamp", to_millis(entry.timestamp));
    return document;
}

BsonPtr event_document(const Event& event) {
    BsonPtr document = new_bson();
    bson_t* doc = document.get();
    append_text(doc, "_id", event.id);
    append_text(doc, "event_type", event.event_type);
    append_text(doc, "severity", event.severity);
    if (!event.data_json.empty()) {
        append_json_data(doc, event.data_json);
        BSON_APPEND_DATE_TIME(doc, "timestamp", to_millis(event.timestamp));
        return document;
    }
    bson_t data;
    BSON_APPEND_DOCUMENT_BEGIN(doc, "data", &data);
    for (const auto& [key, value] : event.data) {
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
            BSON_APPEND_INT64(&data, key.c_str(), *number);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            append_text(&data, key, *text);
        } else {
            append_strings(&data, key.c_str(), std::get<std::vector<std::string>>(value));
        }
    }
    bson_append_document_end(doc, &data);
    BSON_APPEND_DATE_TIME(doc, "timestamp", to_millis(event.timestamp));
    return document;
}

std::string ExpiryRun::event_id() const {
    return "TRADES_EXPIRED:" + source + ":" + std::to_string(timestamp.time_since_epoch().count());
}

std::vector<ExpiryRun> expiry_runs(std::span<const AuditEntry> entries) {
    std::vector<ExpiryRun> runs;
    for (const AuditEntry& entry : entries) {
        if (entry.action != AuditAction::Expire) continue;
        const bool known = std::any_of(runs.begin(), runs.end(), [&entry](const ExpiryRun& run) {
            return run.source == entry.source && run.timestamp == entry.timestamp;
        });
        if (!known) runs.push_back({entry.source, entry.timestamp, entry.reference});
    }
    return runs;
}

Event expiry_event(const ExpiryRun& run, std::int64_t count) {
    return Event{run.event_id(),
                 "TRADES_EXPIRED",
                 "INFO",
                 {{"count", count}, {"source", run.source}, {"business_date", run.reference}},
                 run.timestamp};
}

std::vector<Event> dead_letter_events(std::span<const AuditEntry> entries) {
    std::vector<Event> events;
    for (const AuditEntry& entry : entries) {
        if (!dead_lettered(entry)) continue;
        events.push_back(Event{"DEAD_LETTERED:" + std::to_string(entry.id),
                               "DEAD_LETTERED",
                               "WARNING",
                               {{"audit_id", entry.id},
                                {"trade_id", entry.trade_id},
                                {"source", entry.source},
                                {"reference", entry.reference},
                                {"reason_codes", entry.reason_codes},
                                {"message", entry.message}},
                               entry.timestamp});
    }
    return events;
}

}  // namespace tradestore::plugins::mongo
