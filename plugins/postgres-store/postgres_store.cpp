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
        if (options_.schema_owner_uri.empty()) {
            pg::migrate(*lease);
        } else {
            pg::ConnectionOptions owner_options = options_.pool.connection;
            owner_options.uri = options_.schema_owner_uri;
            pg::Connection owner(owner_options);
            pg::migrate(owner);
            const pg::Result writer = lease->execute("SELECT current_user");
            pg::secure_for_writer(owner, std::string(writer.text(0, 0)),
                                  options_.audit_min_retention_days);
        }
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
