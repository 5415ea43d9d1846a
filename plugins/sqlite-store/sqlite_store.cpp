// Lifecycle of the SQLite store: opening, migrating, closing.
#include "sqlite_store.h"

#include <filesystem>
#include <system_error>

#include "schema.h"

namespace tradestore::plugins {

SqliteStore::SqliteStore(SqliteStoreOptions options)
    : options_(std::move(options)), readers_(options_.max_idle_readers) {}

SqliteStore::~SqliteStore() {
    close();
}

void SqliteStore::open() {
    std::lock_guard lock(writer_mutex_);
    if (writer_) return;

    const std::filesystem::path& path = options_.connection.path;
    if (path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(path.parent_path(), error);
        if (error) {
            throw std::runtime_error("sqlite-store: cannot create directory " +
                                     path.parent_path().string() + ": " + error.message());
        }
    }
    auto writer = std::make_unique<sqlite::Connection>(options_.connection, sqlite::Role::Writer);
    sqlite::migrate(*writer);
    writer_ = std::move(writer);
    readers_.open(options_.connection);
}

void SqliteStore::close() {
    std::lock_guard lock(writer_mutex_);  // waits for the transaction in flight
    readers_.close();
    writer_.reset();
}

sqlite::Connection& SqliteStore::writer() {
    if (!writer_) throw StoreUnavailable("sqlite-store: the store is not open");
    return *writer_;
}

}  // namespace tradestore::plugins
