// The statements by which PostgresStore::apply() claims a batch's idempotency keys. Round trip
// 1, after the trade locks: insert each key (with its request hash) or take over an expired row
// of it; a key held by a transaction in flight makes the insert wait for it, and a key whose
// row has not expired returns no row, so check() throws IdempotencyKeyInUse before anything
// commits. Round trip 2, before COMMIT: the answers, rendered from the decisions.
#pragma once

#include <tradestore/store.h>

#include <span>

#include "connection.h"

namespace tradestore::plugins::pg {

class IdempotencySteps {
  public:
    IdempotencySteps(const Batch& batch, Timestamp now);

    bool empty() const noexcept { return batch_.idempotency.empty(); }
    // Round trip 1: ClaimIdempotencyKeys.
    Step claim() const { return {Query::ClaimIdempotencyKeys, &claim_}; }
    // Throws IdempotencyKeyInUse unless every key came back from claim().
    void check(const Result& claimed) const;
    // Round trip 2: AnswerIdempotencyKeys; valid while this object lives.
    Step answer(std::span<const ItemResult> results);

  private:
    const Batch& batch_;
    Params claim_;
    Params answer_;
};

}  // namespace tradestore::plugins::pg
