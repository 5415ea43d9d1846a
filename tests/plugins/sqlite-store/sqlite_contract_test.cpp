// The store contract, run against the SQLite store.
#include "sqlite_environment.h"

namespace tradestore::contract {

TRADESTORE_INSTANTIATE_STORE_CONTRACT(Sqlite, sqlite_implementation());

}  // namespace tradestore::contract
