#include "mongo_driver.h"

#include <mutex>

namespace tradestore::plugins::mongo {

void init_driver() {
    static std::once_flag once;
    std::call_once(once, [] { mongoc_init(); });
}

MongoError::MongoError(std::string_view operation, const bson_error_t& error)
    : std::runtime_error(std::string(operation) + ": " + error.message),
      domain_(error.domain),
      code_(error.code) {}

MongoError::MongoError(std::string_view operation, std::string_view message)
    : std::runtime_error(std::string(operation) + ": " + std::string(message)) {}

std::string to_json(const bson_t* document) {
    std::size_t length = 0;
    char* json = bson_as_relaxed_extended_json(document, &length);
    if (json == nullptr) return "{}";
    std::string text(json, length);
    bson_free(json);
    return text;
}

}  // namespace tradestore::plugins::mongo
