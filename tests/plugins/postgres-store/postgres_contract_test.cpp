// The store contract and the audit outbox contract, run against the PostgreSQL store (a fresh
// schema per test).
#include "pg_test_support.h"

namespace tradestore::contract {

TRADESTORE_INSTANTIATE_STORE_CONTRACT(Postgres, pgtest::postgres_implementation());
TRADESTORE_INSTANTIATE_STORE_OUTBOX(Postgres, pgtest::postgres_implementation());
TRADESTORE_INSTANTIATE_STORE_EVENT_OUTBOX(Postgres, pgtest::postgres_implementation());

}  // namespace tradestore::contract
