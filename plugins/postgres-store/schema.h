// The store's schema, owned by the plugin and created or migrated when the store opens.
#pragma once

#include <cstdint>
#include <string>

namespace tradestore::plugins::pg {

class Connection;

inline constexpr int kSchemaVersion = 9;

// Creates or migrates the schema (in the connection's search_path) to kSchemaVersion in one
// transaction, under a transaction-level advisory lock, so that several instances starting
// at once against an empty database migrate one after the other. Idempotent, and does
// nothing (needs no rights beyond reading schema_version) when the schema is up to date.
// Refuses a database written by a newer plugin (std::runtime_error).
void migrate(Connection& connection);

// Run by the schema's owner after migrate(), in one transaction under the migration lock:
// grants `writer_role` what the store needs and no more (see kGrantWriter in schema.cpp), and
// sets the retention floor: audit rows and events younger than `floor_days` days cannot be
// deleted by prune_shipped_audit or prune_shipped_events (0: no floor). Idempotent.
void secure_for_writer(Connection& owner, const std::string& writer_role, std::int64_t floor_days);

// The schema version recorded in the database, 0 when none is.
int schema_version(Connection& connection);

}  // namespace tradestore::plugins::pg
