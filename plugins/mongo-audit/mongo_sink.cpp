#include "mongo_sink.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tradestore::plugins::mongo {
namespace {

constexpr std::int32_t kDefaultConnectTimeoutMs = 2000;
constexpr std::int32_t kDefaultServerSelectionTimeoutMs = 3000;
constexpr std::int32_t kDefaultSocketTimeoutMs = 10000;
constexpr std::int32_t kDuplicateKey = 11000;
constexpr std::int64_t kDefaultWriteTimeoutMs = 10000;

// What the outbox marks shipped must survive a MongoDB failover or crash: unless the URI says
// otherwise, writes wait for a majority of the replica set and the journal ({w: "majority",
// j: true}). An operator may lower it in the URI (w=1, journal=false); w=0 is refused, since
// an unacknowledged insert cannot tell the outbox that anything arrived.
void default_write_concern(mongoc_uri_t* uri) {
    const mongoc_write_concern_t* given = mongoc_uri_get_write_concern(uri);
    const std::int32_t w = mongoc_write_concern_get_w(given);
    if (w == MONGOC_WRITE_CONCERN_W_UNACKNOWLEDGED || w == MONGOC_WRITE_CONCERN_W_ERRORS_IGNORED) {
        throw std::invalid_argument(
            "the MongoDB URI asks for unacknowledged writes (w=0): the audit outbox could not "
            "tell what arrived; use w=1 or more (the default is w=majority, journal=true)");
    }
    const bool w_given = w != MONGOC_WRITE_CONCERN_W_DEFAULT ||
                         mongoc_write_concern_get_wmajority(given) ||
                         mongoc_write_concern_get_wtag(given) != nullptr;
    const bool journal_given = mongoc_write_concern_journal_is_set(given);
    if (w_given && journal_given) return;

    std::unique_ptr<mongoc_write_concern_t, decltype(&mongoc_write_concern_destroy)> concern(
        mongoc_write_concern_copy(given), &mongoc_write_concern_destroy);
    if (!w_given) {
        const std::int64_t timeout = mongoc_write_concern_get_wtimeout_int64(given);
        mongoc_write_concern_set_wmajority(concern.get(), 0);
        mongoc_write_concern_set_wtimeout_int64(concern.get(),
                                                timeout > 0 ? timeout : kDefaultWriteTimeoutMs);
    }
    if (!journal_given) mongoc_write_concern_set_journal(concern.get(), true);
    mongoc_uri_set_write_concern(uri, concern.get());
}

void default_option(mongoc_uri_t* uri, const char* option, std::int32_t value) {
    if (!mongoc_uri_has_option(uri, option)) mongoc_uri_set_option_as_int32(uri, option, value);
}

// True when an insert failed only on duplicate keys (documents shipped before): every write
// error is a duplicate key and there is no write concern error. `reply` is insert_many's.
bool only_duplicates(const bson_t* reply, std::int64_t& duplicates) {
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, reply, "writeConcernErrors") && BSON_ITER_HOLDS_ARRAY(&iter)) {
        bson_iter_t errors;
        if (bson_iter_recurse(&iter, &errors) && bson_iter_next(&errors)) return false;
    }
    if (!bson_iter_init_find(&iter, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&iter)) {
        return false;
    }
    bson_iter_t errors;
    if (!bson_iter_recurse(&iter, &errors)) return false;
    duplicates = 0;
    while (bson_iter_next(&errors)) {
        bson_iter_t error;
        if (!BSON_ITER_HOLDS_DOCUMENT(&errors) || !bson_iter_recurse(&errors, &error) ||
            !bson_iter_find(&error, "code") || bson_iter_as_int64(&error) != kDuplicateKey) {
            return false;
        }
        ++duplicates;
    }
    return duplicates > 0;
}

std::int64_t int_field(const bson_t* reply, const char* key) {
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, reply, key) && BSON_ITER_HOLDS_NUMBER(&iter)) {
        return bson_iter_as_int64(&iter);
    }
    return 0;
}

}  // namespace

MongoSink::MongoSink(const std::string& uri, std::string database)
    : database_(std::move(database)) {
    init_driver();
    bson_error_t error;
    uri_.reset(mongoc_uri_new_with_error(uri.c_str(), &error));
    if (!uri_) throw std::invalid_argument(std::string("invalid MongoDB URI: ") + error.message);
    if (database_.empty()) throw std::invalid_argument("the database name is empty");
    default_option(uri_.get(), MONGOC_URI_CONNECTTIMEOUTMS, kDefaultConnectTimeoutMs);
    default_option(uri_.get(), MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                   kDefaultServerSelectionTimeoutMs);
    default_option(uri_.get(), MONGOC_URI_SOCKETTIMEOUTMS, kDefaultSocketTimeoutMs);
    default_write_concern(uri_.get());
    if (mongoc_uri_get_appname(uri_.get()) == nullptr) {
        mongoc_uri_set_appname(uri_.get(), "tradestored-mongo-audit");
    }
}

MongoSink::~MongoSink() {
    disconnect();
}

void MongoSink::disconnect() noexcept {
    // Collections before the client they came from.
    audit_logs_.reset();
    trade_events_.reset();
    client_.reset();
}

std::string MongoSink::servers() const {
    std::string text;
    for (const mongoc_host_list_t* host = mongoc_uri_get_hosts(uri_.get()); host != nullptr;
         host = host->next) {
        if (!text.empty()) text += ',';
        text += host->host_and_port;
    }
    return text.empty() ? "(srv)" : text;
}

std::string MongoSink::write_concern() const {
    const mongoc_write_concern_t* concern = mongoc_uri_get_write_concern(uri_.get());
    std::string text = "w=";
    if (mongoc_write_concern_get_wmajority(concern)) {
        text += "majority";
    } else if (const char* tag = mongoc_write_concern_get_wtag(concern); tag != nullptr) {
        text += tag;
    } else {
        text += std::to_string(mongoc_write_concern_get_w(concern));
    }
    if (mongoc_write_concern_journal_is_set(concern))
        text += mongoc_write_concern_get_journal(concern) ? ", journal=true" : ", journal=false";
    if (const std::int64_t timeout = mongoc_write_concern_get_wtimeout_int64(concern); timeout > 0)
        text += ", wtimeoutMS=" + std::to_string(timeout);
    return text;
}

mongoc_client_t* MongoSink::client() {
    if (!client_) {
        bson_error_t error;
        client_.reset(mongoc_client_new_from_uri_with_error(uri_.get(), &error));
        if (!client_) throw MongoError("creating the MongoDB client", error);
        mongoc_client_set_error_api(client_.get(), MONGOC_ERROR_API_VERSION_2);
    }
    return client_.get();
}

mongoc_collection_t* MongoSink::collection(const char* name) {
    CollectionPtr& slot = std::string_view(name) == kAuditCollection ? audit_logs_ : trade_events_;
    if (!slot) slot.reset(mongoc_client_get_collection(client(), database_.c_str(), name));
    return slot.get();
}

void MongoSink::ping() {
    BsonPtr command = new_bson();
    BSON_APPEND_INT32(command.get(), "ping", 1);
    Reply reply;
    bson_error_t error;
    if (!mongoc_client_command_simple(client(), database_.c_str(), command.get(), nullptr,
                                      reply.get(), &error)) {
        throw MongoError("ping", error);
    }
}

std::vector<std::string> MongoSink::index_names(const char* collection_name) {
    std::vector<std::string> names;
    CursorPtr cursor(
        mongoc_collection_find_indexes_with_opts(collection(collection_name), nullptr));
    const bson_t* index = nullptr;
    while (mongoc_cursor_next(cursor.get(), &index)) {
        bson_iter_t iter;
        if (bson_iter_init_find(&iter, index, "name") && BSON_ITER_HOLDS_UTF8(&iter)) {
            names.emplace_back(bson_iter_utf8(&iter, nullptr));
        }
    }
    bson_error_t error;
    // A collection that does not exist yet has no indexes (the driver hides that error).
    if (mongoc_cursor_error(cursor.get(), &error)) {
        throw MongoError(std::string("listing the indexes of ") + collection_name, error);
    }
    return names;
}

void MongoSink::create_indexes(const char* collection_name, std::span<const IndexSpec> wanted) {
    // Only the missing ones: FerretDB 1.24 drops the connection when asked to create an index
    // that exists (MongoDB would answer "ok"), and asking for none costs nothing.
    const std::vector<std::string> existing = index_names(collection_name);
    BsonPtr indexes = new_bson();
    std::uint32_t count = 0;
    for (const IndexSpec& spec : wanted) {
        if (std::find(existing.begin(), existing.end(), spec.name) != existing.end()) continue;
        const std::string position = std::to_string(count++);
        bson_t index;
        bson_t key;
        BSON_APPEND_DOCUMENT_BEGIN(indexes.get(), position.c_str(), &index);
        BSON_APPEND_DOCUMENT_BEGIN(&index, "key", &key);
        for (const char* field : spec.fields) {
            if (field != nullptr) BSON_APPEND_INT32(&key, field, 1);
        }
        bson_append_document_end(&index, &key);
        BSON_APPEND_UTF8(&index, "name", spec.name);
        bson_append_document_end(indexes.get(), &index);
    }
    if (count == 0) return;

    BsonPtr command = new_bson();
    BSON_APPEND_UTF8(command.get(), "createIndexes", collection_name);
    BSON_APPEND_ARRAY(command.get(), "indexes", indexes.get());
    Reply reply;
    bson_error_t error;
    mongoc_database_t* database = mongoc_client_get_database(client(), database_.c_str());
    const bool ok = mongoc_database_write_command_with_opts(database, command.get(), nullptr,
                                                            reply.get(), &error);
    mongoc_database_destroy(database);
    if (!ok) throw MongoError(std::string("creating the indexes of ") + collection_name, error);
}

void MongoSink::ensure_indexes() {
    if (indexes_ready_) return;
    static constexpr IndexSpec kAuditIndexes[] = {
        {"trade_id_1", {"trade_id", nullptr}},
        {"timestamp_1", {"timestamp", nullptr}},
    };
    static constexpr IndexSpec kEventIndexes[] = {
        {"timestamp_1", {"timestamp", nullptr}},
        {"event_type_1_timestamp_1", {"event_type", "timestamp"}},
    };
    create_indexes(kAuditCollection, kAuditIndexes);
    create_indexes(kEventCollection, kEventIndexes);
    indexes_ready_ = true;
}

MongoSink::InsertResult MongoSink::insert_documents(const char* collection_name,
                                                    std::span<const BsonPtr> documents,
                                                    const char* operation) {
    InsertResult result;
    if (documents.empty()) return result;
        // bson_t's alignment attribute means nothing to a pointer; GCC warns all the same.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
    std::vector<const bson_t*> pointers;
#pragma GCC diagnostic pop
    pointers.reserve(documents.size());
    for (const BsonPtr& document : documents) pointers.push_back(document.get());

    BsonPtr options(BCON_NEW("ordered", BCON_BOOL(false)));
    Reply reply;
    bson_error_t error;
    if (mongoc_collection_insert_many(collection(collection_name), pointers.data(), pointers.size(),
                                      options.get(), reply.get(), &error)) {
        result.inserted = int_field(reply.get(), "insertedCount");
        return result;
    }
    std::int64_t duplicates = 0;
    if (!only_duplicates(reply.get(), duplicates)) throw MongoError(operation, error);
    result.inserted = int_field(reply.get(), "insertedCount");
    result.already_there = duplicates;
    return result;
}

MongoSink::InsertResult MongoSink::insert_audit(std::span<const AuditEntry> entries) {
    std::vector<BsonPtr> documents;
    documents.reserve(entries.size());
    for (const AuditEntry& entry : entries) documents.push_back(audit_document(entry));
    return insert_documents(kAuditCollection, documents, "inserting into audit_logs");
}

MongoSink::InsertResult MongoSink::insert_events(std::span<const Event> events) {
    std::vector<BsonPtr> documents;
    documents.reserve(events.size());
    for (const Event& event : events) documents.push_back(event_document(event));
    return insert_documents(kEventCollection, documents, "inserting into trade_events");
}

void MongoSink::upsert_event(const Event& event) {
    BsonPtr selector = new_bson();
    append_text(selector.get(), "_id", event.id);
    BsonPtr options(BCON_NEW("upsert", BCON_BOOL(true)));
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_replace_one(collection(kEventCollection), selector.get(),
                                       event_document(event).get(), options.get(), reply.get(),
                                       &error)) {
        throw MongoError("writing a " + event.event_type + " event", error);
    }
}

std::int64_t MongoSink::count_expired(const ExpiryRun& run) {
    BsonPtr filter = new_bson();
    BSON_APPEND_UTF8(filter.get(), "action", "EXPIRE");
    append_text(filter.get(), "source", run.source);
    BSON_APPEND_DATE_TIME(filter.get(), "timestamp", to_millis(run.timestamp));
    bson_error_t error;
    const std::int64_t count = mongoc_collection_count_documents(
        collection(kAuditCollection), filter.get(), nullptr, nullptr, nullptr, &error);
    if (count < 0) throw MongoError("counting EXPIRE entries", error);
    return count;
}

std::int64_t MongoSink::delete_older_than(const char* collection_name, Timestamp cutoff) {
    BsonPtr filter(BCON_NEW("timestamp", "{", "$lt", BCON_DATE_TIME(to_millis(cutoff)), "}"));
    Reply reply;
    bson_error_t error;
    if (!mongoc_collection_delete_many(collection(collection_name), filter.get(), nullptr,
                                       reply.get(), &error)) {
        throw MongoError(std::string("deleting old documents of ") + collection_name, error);
    }
    return int_field(reply.get(), "deletedCount");
}

}  // namespace tradestore::plugins::mongo
