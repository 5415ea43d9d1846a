// The store's schema, owned by the plugin and created or migrated when the store opens.
#pragma once

namespace tradestore::plugins::pg {

class Connection;

inline constexpr int kSchemaVersion = 1;

// Creates or migrates the schema (in the connection's search_path) to kSchemaVersion in one
// transaction, under a transaction-level advisory lock, so that several instances starting
// at once against an empty database migrate one after the other. Idempotent. Refuses a
// database written by a newer plugin (std::runtime_error).
void migrate(Connection& connection);

// The schema version recorded in the database, 0 when none is.
int schema_version(Connection& connection);

}  // namespace tradestore::plugins::pg
