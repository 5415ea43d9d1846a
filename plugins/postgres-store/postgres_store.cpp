// Lifecycle of the PostgreSQL store: opening, migrating, closing, health.
#include "postgres_store.h"

#include <unistd.h>

#include <array>

#include "floored_reader.h"
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
                                                    : options_.instance_name) {
    if (!options_.replicas.replicas.empty()) {
        replicas_ = std::make_unique<pg::ReplicaSet>(options_.replicas, options_.pool.connection);
    }
}

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
    if (replicas_) replicas_->start();
}

void PostgresStore::close() {
    if (replicas_) replicas_->stop();
    pool_.close();
}

std::vector<ReplicaState> PostgresStore::replica_states() const {
    return replicas_ ? replicas_->states() : std::vector<ReplicaState>{};
}

std::unique_ptr<StoreReader> PostgresStore::reader_after(std::uint64_t commit_position) {
    return std::make_unique<FlooredReader>(*this, ReadFloor{commit_position});
}

void PostgresStore::record_metrics(Metrics& metrics) {
    if (replicas_) replicas_->record_metrics(metrics);
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
