#include "mongo_test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>

namespace tradestore::mongo_test {
namespace {

bson_t* parse_json(const std::string& json) {
    bson_error_t error;
    bson_t* document = bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json.data()),
                                          static_cast<ssize_t>(json.size()), &error);
    if (document == nullptr) ADD_FAILURE() << "bad JSON " << json << ": " << error.message;
    return document != nullptr ? document : bson_new();
}

bool find_key(const bson_t* document, const char* dotted_key, bson_iter_t& found) {
    bson_iter_t iter;
    return bson_iter_init(&iter, document) && bson_iter_find_descendant(&iter, dotted_key, &found);
}

}  // namespace

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

std::string server_uri() {
    if (const char* uri = std::getenv("TRADESTORE_TEST_MONGO_URI"); uri != nullptr && *uri != 0) {
        return uri;
    }
    std::ifstream file(std::string(TRADESTORE_MONGO_STATE_DIR) + "/uri");
    std::string uri;
    std::getline(file, uri);
    return uri;
}

ScratchDatabase::ScratchDatabase() : uri_(server_uri()) {
    plugins::mongo::init_driver();
    static std::atomic<int> counter{0};
    std::random_device random;
    name_ = "tradestore_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(random() % 100000) + "_" + std::to_string(counter++);
    client_ = mongoc_client_new(uri_.c_str());
    if (client_ == nullptr) {
        ADD_FAILURE() << "cannot parse the test server's URI";
        return;
    }
    mongoc_client_set_error_api(client_, MONGOC_ERROR_API_VERSION_2);
}

ScratchDatabase::~ScratchDatabase() {
    if (client_ == nullptr) return;
    mongoc_database_t* database = mongoc_client_get_database(client_, name_.c_str());
    bson_error_t error;
    mongoc_database_drop_with_opts(database, nullptr, &error);
    mongoc_database_destroy(database);
    mongoc_client_destroy(client_);
}

std::vector<BsonPtr> ScratchDatabase::find(const char* collection, const std::string& filter,
                                           const std::string& sort) {
    std::vector<BsonPtr> documents;
    mongoc_collection_t* handle = mongoc_client_get_collection(client_, name_.c_str(), collection);
    BsonPtr filter_document(parse_json(filter));
    BsonPtr options = plugins::mongo::new_bson();
    BsonPtr sort_document(parse_json(sort));
    BSON_APPEND_DOCUMENT(options.get(), "sort", sort_document.get());
    mongoc_cursor_t* cursor =
        mongoc_collection_find_with_opts(handle, filter_document.get(), options.get(), nullptr);
    const bson_t* document = nullptr;
    while (mongoc_cursor_next(cursor, &document)) documents.emplace_back(bson_copy(document));
    bson_error_t error;
    if (mongoc_cursor_error(cursor, &error)) ADD_FAILURE() << "find: " << error.message;
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(handle);
    return documents;
}

std::int64_t ScratchDatabase::count(const char* collection, const std::string& filter) {
    mongoc_collection_t* handle = mongoc_client_get_collection(client_, name_.c_str(), collection);
    BsonPtr filter_document(parse_json(filter));
    bson_error_t error;
    const std::int64_t count = mongoc_collection_count_documents(handle, filter_document.get(),
                                                                 nullptr, nullptr, nullptr, &error);
    if (count < 0) ADD_FAILURE() << "count: " << error.message;
    mongoc_collection_destroy(handle);
    return count;
}

void ScratchDatabase::insert(const char* collection, const bson_t* document) {
    mongoc_collection_t* handle = mongoc_client_get_collection(client_, name_.c_str(), collection);
    bson_error_t error;
    if (!mongoc_collection_insert_one(handle, document, nullptr, nullptr, &error)) {
        ADD_FAILURE() << "insert: " << error.message;
    }
    mongoc_collection_destroy(handle);
}

std::vector<std::string> ScratchDatabase::index_names(const char* collection) {
    std::vector<std::string> names;
    mongoc_collection_t* handle = mongoc_client_get_collection(client_, name_.c_str(), collection);
    mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(handle, nullptr);
    const bson_t* index = nullptr;
    while (mongoc_cursor_next(cursor, &index)) names.push_back(text_field(index, "name"));
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(handle);
    return names;
}

std::string text_field(const bson_t* document, const char* dotted_key) {
    bson_iter_t iter;
    if (!find_key(document, dotted_key, iter) || !BSON_ITER_HOLDS_UTF8(&iter)) {
        ADD_FAILURE() << dotted_key << " is not text in " << plugins::mongo::to_json(document);
        return {};
    }
    std::uint32_t length = 0;
    const char* text = bson_iter_utf8(&iter, &length);
    return std::string(text, length);
}

std::int64_t int_field(const bson_t* document, const char* dotted_key) {
    bson_iter_t iter;
    if (!find_key(document, dotted_key, iter) ||
        !(BSON_ITER_HOLDS_INT64(&iter) || BSON_ITER_HOLDS_INT32(&iter))) {
        ADD_FAILURE() << dotted_key << " is not an integer in "
                      << plugins::mongo::to_json(document);
        return 0;
    }
    return bson_iter_as_int64(&iter);
}

bool is_null(const bson_t* document, const char* dotted_key) {
    bson_iter_t iter;
    return find_key(document, dotted_key, iter) && BSON_ITER_HOLDS_NULL(&iter);
}

bool has_field(const bson_t* document, const char* dotted_key) {
    bson_iter_t iter;
    return find_key(document, dotted_key, iter);
}

std::int64_t date_field(const bson_t* document, const char* dotted_key) {
    bson_iter_t iter;
    if (!find_key(document, dotted_key, iter) || !BSON_ITER_HOLDS_DATE_TIME(&iter)) {
        ADD_FAILURE() << dotted_key << " is not a date in " << plugins::mongo::to_json(document);
        return 0;
    }
    return bson_iter_date_time(&iter);
}

std::vector<std::string> text_array(const bson_t* document, const char* dotted_key) {
    std::vector<std::string> values;
    bson_iter_t iter;
    bson_iter_t items;
    if (!find_key(document, dotted_key, iter) || !BSON_ITER_HOLDS_ARRAY(&iter) ||
        !bson_iter_recurse(&iter, &items)) {
        ADD_FAILURE() << dotted_key << " is not an array in " << plugins::mongo::to_json(document);
        return values;
    }
    while (bson_iter_next(&items)) {
        if (BSON_ITER_HOLDS_UTF8(&items)) values.emplace_back(bson_iter_utf8(&items, nullptr));
    }
    return values;
}

std::string unreachable_uri() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    const int port = ntohs(address.sin_port);
    ::close(fd);  // bound, never listened: connections are refused
    return "mongodb://127.0.0.1:" + std::to_string(port) + "/";
}

}  // namespace tradestore::mongo_test
