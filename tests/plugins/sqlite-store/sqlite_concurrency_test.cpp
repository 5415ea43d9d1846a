// The store's concurrency contract, run against the SQLite store (also under TSan).
#include "sqlite_environment.h"

namespace tradestore::contract {

TRADESTORE_INSTANTIATE_STORE_CONCURRENCY(Sqlite, sqlite_implementation());

}  // namespace tradestore::contract
