// A small MongoDB client on libmongoc for the Python end-to-end tests and scripts (Python's
// standard library has no MongoDB driver):
//
//   mongo_tool URI DATABASE ping
//   mongo_tool URI DATABASE find COLLECTION [FILTER [SORT]]   one relaxed-JSON document a line
//   mongo_tool URI DATABASE count COLLECTION [FILTER]
//   mongo_tool URI DATABASE insert COLLECTION                 documents from stdin, one a line
//   mongo_tool URI DATABASE indexes COLLECTION                index names, one a line
//   mongo_tool URI DATABASE drop                              drops the database
//
// FILTER, SORT and documents are (relaxed or canonical) extended JSON, e.g.
// '{"timestamp": {"$lt": {"$date": "2026-01-01T00:00:00Z"}}}'. Exit 0 on success, 1 on a
// MongoDB error (message on stderr), 2 on bad usage.
#include <mongoc/mongoc.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

namespace {

int fail(const char* what, const bson_error_t& error) {
    std::fprintf(stderr, "mongo_tool: %s: %s\n", what, error.message);
    return 1;
}

int usage() {
    std::fprintf(stderr,
                 "usage: mongo_tool URI DATABASE ping | find COLLECTION [FILTER [SORT]] | "
                 "count COLLECTION [FILTER] | insert COLLECTION | indexes COLLECTION | drop\n");
    return 2;
}

bson_t* parse(const char* json, bson_error_t* error) {
    return bson_new_from_json(reinterpret_cast<const std::uint8_t*>(json),
                              static_cast<ssize_t>(std::strlen(json)), error);
}

void print(const bson_t* document) {
    std::size_t length = 0;
    char* json = bson_as_relaxed_extended_json(document, &length);
    std::fwrite(json, 1, length, stdout);
    std::fputc('\n', stdout);
    bson_free(json);
}

int run(mongoc_client_t* client, const char* database, int argc, char** argv) {
    const std::string command = argv[3];
    bson_error_t error;
    if (command == "ping") {
        bson_t* ping = BCON_NEW("ping", BCON_INT32(1));
        const bool ok =
            mongoc_client_command_simple(client, database, ping, nullptr, nullptr, &error);
        bson_destroy(ping);
        return ok ? 0 : fail("ping", error);
    }
    if (command == "drop") {
        mongoc_database_t* db = mongoc_client_get_database(client, database);
        const bool ok = mongoc_database_drop_with_opts(db, nullptr, &error);
        mongoc_database_destroy(db);
        return ok || error.code == 26 ? 0 : fail("drop", error);  // 26: namespace not found
    }
    if (argc < 5) return usage();
    mongoc_collection_t* collection = mongoc_client_get_collection(client, database, argv[4]);
    int status = 0;
    if (command == "find") {
        bson_t* filter = parse(argc > 5 ? argv[5] : "{}", &error);
        bson_t* sort =
            filter != nullptr ? parse(argc > 6 ? argv[6] : "{\"_id\": 1}", &error) : nullptr;
        if (filter == nullptr || sort == nullptr) {
            status = fail("parsing JSON", error);
        } else {
            bson_t* options = bson_new();
            BSON_APPEND_DOCUMENT(options, "sort", sort);
            mongoc_cursor_t* cursor =
                mongoc_collection_find_with_opts(collection, filter, options, nullptr);
            const bson_t* document = nullptr;
            while (mongoc_cursor_next(cursor, &document)) print(document);
            if (mongoc_cursor_error(cursor, &error)) status = fail("find", error);
            mongoc_cursor_destroy(cursor);
            bson_destroy(options);
        }
        if (filter != nullptr) bson_destroy(filter);
        if (sort != nullptr) bson_destroy(sort);
    } else if (command == "count") {
        bson_t* filter = parse(argc > 5 ? argv[5] : "{}", &error);
        if (filter == nullptr) {
            status = fail("parsing JSON", error);
        } else {
            const std::int64_t count = mongoc_collection_count_documents(
                collection, filter, nullptr, nullptr, nullptr, &error);
            if (count < 0) {
                status = fail("count", error);
            } else {
                std::printf("%lld\n", static_cast<long long>(count));
            }
            bson_destroy(filter);
        }
    } else if (command == "insert") {
        std::string line;
        while (status == 0 && std::getline(std::cin, line)) {
            if (line.empty()) continue;
            bson_t* document = parse(line.c_str(), &error);
            if (document == nullptr) {
                status = fail("parsing JSON", error);
                break;
            }
            if (!mongoc_collection_insert_one(collection, document, nullptr, nullptr, &error)) {
                status = fail("insert", error);
            }
            bson_destroy(document);
        }
    } else if (command == "indexes") {
        mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(collection, nullptr);
        const bson_t* index = nullptr;
        while (mongoc_cursor_next(cursor, &index)) {
            bson_iter_t iter;
            if (bson_iter_init_find(&iter, index, "name") && BSON_ITER_HOLDS_UTF8(&iter)) {
                std::printf("%s\n", bson_iter_utf8(&iter, nullptr));
            }
        }
        if (mongoc_cursor_error(cursor, &error)) status = fail("listIndexes", error);
        mongoc_cursor_destroy(cursor);
    } else {
        status = usage();
    }
    mongoc_collection_destroy(collection);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) return usage();
    mongoc_init();
    bson_error_t error;
    mongoc_uri_t* uri = mongoc_uri_new_with_error(argv[1], &error);
    if (uri == nullptr) return fail("URI", error);
    if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
    }
    mongoc_client_t* client = mongoc_client_new_from_uri(uri);
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    const int status = run(client, argv[2], argc, argv);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
    return status;
}
