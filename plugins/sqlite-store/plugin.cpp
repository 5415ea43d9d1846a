// The sqlite-store plugin descriptor.
#include <tradestore/plugin.h>

#include "sqlite_store_settings.h"

namespace tradestore::plugins {
namespace {

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "sqlite-store";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Stores trades, their history (as-of reads), tombstones, source positions and the "
        "audit log in one SQLite file (WAL); queues the history for the change feed with "
        "change_feed = true";
    descriptor.kinds = kStorePlugin;
    descriptor.settings = sqlite_store_settings();
    descriptor.check_settings = &check_sqlite_store_settings;
    descriptor.store_capabilities = {"trade history", "change outbox (change_feed = true)",
                                     "audit outbox", "event outbox", "idempotency keys"};
    descriptor.create_store = &create_sqlite_store;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::plugins

TRADESTORE_PLUGIN(tradestore::plugins::describe)
