// Shared by the mongo-audit tests: where the test server is, a scratch database per test
// (dropped afterwards), and direct reads and writes to check what the plugin wrote.
//
// The server: TRADESTORE_TEST_MONGO_URI if set, else the URI the mongo_server fixture wrote
// (scripts/ferretdb-test-server.sh). Without either the tests skip, or fail when CI=true.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mongo_driver.h"

namespace tradestore::mongo_test {

using plugins::mongo::BsonPtr;

// The test server's URI, or "" when there is none.
std::string server_uri();
// True when tests must fail rather than skip without a server (CI=true).
bool in_ci();

// Skips the test (or fails it under CI=true) when there is no test server.
#define TRADESTORE_REQUIRE_MONGO()                                                                 \
    do {                                                                                           \
        if (::tradestore::mongo_test::server_uri().empty()) {                                      \
            if (::tradestore::mongo_test::in_ci()) {                                               \
                FAIL() << "no MongoDB test server (CI=true): see scripts/ferretdb-test-server.sh"; \
            }                                                                                      \
            GTEST_SKIP()                                                                           \
                << "no MongoDB test server: set TRADESTORE_TEST_MONGO_URI or install Go 1.24+";    \
        }                                                                                          \
    } while (false)

// A database of its own for one test, dropped when it goes.
class ScratchDatabase {
  public:
    ScratchDatabase();
    ~ScratchDatabase();
    ScratchDatabase(const ScratchDatabase&) = delete;
    ScratchDatabase& operator=(const ScratchDatabase&) = delete;

    const std::string& uri() const { return uri_; }
    const std::string& name() const { return name_; }

    // Documents of `collection` matching the extended-JSON filter, sorted as `sort` says.
    std::vector<BsonPtr> find(const char* collection, const std::string& filter = "{}",
                              const std::string& sort = R"({"_id": 1})");
    std::int64_t count(const char* collection, const std::string& filter = "{}");
    void insert(const char* collection, const bson_t* document);
    std::vector<std::string> index_names(const char* collection);

  private:
    std::string uri_;
    std::string name_;
    mongoc_client_t* client_ = nullptr;
};

// Field readers for checks; a missing field or another type fails the test.
std::string text_field(const bson_t* document, const char* dotted_key);
std::int64_t int_field(const bson_t* document, const char* dotted_key);
bool is_null(const bson_t* document, const char* dotted_key);
bool has_field(const bson_t* document, const char* dotted_key);
std::int64_t date_field(const bson_t* document, const char* dotted_key);  // milliseconds
std::vector<std::string> text_array(const bson_t* document, const char* dotted_key);

// A URI on which nothing listens (a loopback port just closed).
std::string unreachable_uri();

}  // namespace tradestore::mongo_test
