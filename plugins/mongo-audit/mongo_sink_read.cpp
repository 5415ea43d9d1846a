// Reading trade_events back, for GET /api/v1/events.
#include "mongo_sink.h"

namespace tradestore::plugins::mongo {
namespace {

std::string text_field(const bson_t* document, const char* key) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, document, key) || !BSON_ITER_HOLDS_UTF8(&iter)) return {};
    std::uint32_t length = 0;
    const char* text = bson_iter_utf8(&iter, &length);
    return std::string(text, length);
}

// The sub-document `key` as relaxed extended JSON; "{}" when absent or not a document.
std::string document_field_json(const bson_t* document, const char* key) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, document, key) || !BSON_ITER_HOLDS_DOCUMENT(&iter)) {
        return "{}";
    }
    std::uint32_t length = 0;
    const std::uint8_t* data = nullptr;
    bson_iter_document(&iter, &length, &data);
    bson_t sub;
    if (!bson_init_static(&sub, data, length)) return "{}";
    return to_json(&sub);
}

Timestamp date_field(const bson_t* document, const char* key) {
    bson_iter_t iter;
    if (!bson_iter_init_find(&iter, document, key) || !BSON_ITER_HOLDS_DATE_TIME(&iter)) {
        return {};
    }
    return Timestamp{std::chrono::milliseconds{bson_iter_date_time(&iter)}};
}

SystemEvent read_event(const bson_t* document) {
    SystemEvent event;
    event.id = text_field(document, "_id");
    event.event_type = text_field(document, "event_type");
    event.severity =
        parse_event_severity(text_field(document, "severity")).value_or(EventSeverity::Info);
    event.data_json = document_field_json(document, "data");
    event.timestamp = date_field(document, "timestamp");
    return event;
}

}  // namespace

std::vector<SystemEvent> MongoSink::find_events(const EventQuery& query) {
    BsonPtr filter = new_bson();
    if (query.event_type) append_text(filter.get(), "event_type", *query.event_type);
    if (query.severity) append_text(filter.get(), "severity", to_string(*query.severity));
    BsonPtr options = new_bson();
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(options.get(), "sort", &sort);
    BSON_APPEND_INT32(&sort, "timestamp", -1);
    BSON_APPEND_INT32(&sort, "_id", -1);
    bson_append_document_end(options.get(), &sort);
    BSON_APPEND_INT64(options.get(), "skip", query.skip);
    BSON_APPEND_INT64(options.get(), "limit", query.limit);

    CursorPtr cursor(mongoc_collection_find_with_opts(collection(kEventCollection), filter.get(),
                                                      options.get(), nullptr));
    std::vector<SystemEvent> events;
    const bson_t* document = nullptr;
    while (mongoc_cursor_next(cursor.get(), &document)) events.push_back(read_event(document));
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) throw MongoError("reading trade_events", error);
    return events;
}

}  // namespace tradestore::plugins::mongo
