// Keeps a batch's idempotency claims pointing at the right candidates when the kernel
// reshapes the batch: when it drops candidates that fail the shape guard (they never reach the
// store) and when group commit merges several batches into one transaction.
#pragma once

#include <tradestore/store.h>

#include <cstddef>
#include <span>
#include <vector>

namespace tradestore::kernel {

// `store_index[i]` is candidate i's index in the reshaped batch, or `not_applied` when it was
// dropped, in which case `dropped_results[i]` is its result. Each claim is narrowed to the
// candidates the store sees; its answer is wrapped so that it still renders from every
// candidate it covered, the dropped ones included.
void narrow_claims(std::vector<IdempotencyClaim>& claims, std::span<const std::size_t> store_index,
                   std::size_t not_applied, std::span<const ItemResult> dropped_results);

// Appends a batch's claims to a merged batch whose candidates before the batch's own number
// `offset`.
void append_shifted_claims(std::vector<IdempotencyClaim>& merged,
                           const std::vector<IdempotencyClaim>& claims, std::size_t offset);

}  // namespace tradestore::kernel
