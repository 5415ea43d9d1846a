// The postgres-store plugin descriptor.
#include <tradestore/plugin.h>

#include "postgres_store_checks.h"
#include "postgres_store_settings.h"

namespace tradestore::plugins {
namespace {

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "postgres-store";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Stores trades, their history (as-of reads), tombstones, source positions, job runs and "
        "the audit log in PostgreSQL, shared by several instances (libpq, pooled connections); "
        "queues the history for the change feed with change_feed = true";
    descriptor.kinds = kStorePlugin;
    descriptor.settings = postgres_store_settings();
    descriptor.check_settings = &check_postgres_store_settings;
    descriptor.store_capabilities = {"trade history",
                                     "change outbox (change_feed = true)",
                                     "audit outbox",
                                     "event outbox",
                                     "idempotency keys",
                                     "job claims",
                                     "read replicas (read_uri set)"};
    descriptor.create_store = &create_postgres_store;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::plugins

TRADESTORE_PLUGIN(tradestore::plugins::describe)
