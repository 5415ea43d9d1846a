// The store's schema, owned by the plugin and created or migrated when the store opens.
#pragma once

namespace tradestore::plugins::sqlite {

class Connection;

inline constexpr int kSchemaVersion = 7;

// Creates or migrates the schema to kSchemaVersion in one transaction. Idempotent: opening
// a current database changes nothing. Refuses a database written by a newer plugin.
void migrate(Connection& writer);

// The schema version recorded in the database, 0 when none is.
int schema_version(Connection& connection);

}  // namespace tradestore::plugins::sqlite
