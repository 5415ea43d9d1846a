#include "sqlite_environment.h"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace tradestore::contract {

SqliteEnvironment::SqliteEnvironment() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tradestore-sqlite-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    directory_ = pattern;
    database_ = directory_ / "var" / "tradestore.db";
}

SqliteEnvironment::~SqliteEnvironment() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

plugins::SqliteStoreOptions SqliteEnvironment::options() const {
    plugins::SqliteStoreOptions options;
    options.connection.path = database_;
    options.change_feed = change_feed;
    return options;  // the defaults otherwise: synchronous=full, 5s busy timeout
}

std::unique_ptr<Store> SqliteEnvironment::create_store() {
    return std::make_unique<plugins::SqliteStore>(options());
}

StoreImplementation sqlite_implementation() {
    return {"sqlite", [] { return std::make_unique<SqliteEnvironment>(); }};
}

}  // namespace tradestore::contract
