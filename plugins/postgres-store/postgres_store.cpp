// Lifecycle of the PostgreSQL store: opening, migrating, closing, health.
#include "postgres_store.h"

#include <unistd.h>

#include <array>

#include "schema.h"

namespace tradestore::plugins {
namespace {

std::string default_instance_name() {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    return std::string(host.data()) + ":" + std::to_string(::getpid());
}

}  // namespace

PostgresStore::PostgresStore(PostgresStoreOptions options)
    : options_(std::move(options)),
      pool_(options_.pool),
      instance_name_(options_.instance_name.empty() ? default_instance_name()
                                                    : options_.instance_name) {}

PostgresStore::~PostgresStore() {
    close();
}

void PostgresStore::open() {
    pool_.open();
    try {
        auto lease = pool_.acquire(options_.pool.connection.connect_timeout);
        pg::migrate(*lease);
    } catch (...) {
        pool_.close();
        throw;
    }
}

void PostgresStore::close() {
    pool_.close();
}

bool PostgresStore::healthy() {
    try {
        auto lease = pool_.acquire(options_.pool.connection.connect_timeout);
        lease->ping();
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace tradestore::plugins
