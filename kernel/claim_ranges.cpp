#include "claim_ranges.h"

#include <optional>
#include <stdexcept>
#include <utility>

namespace tradestore::kernel {

void narrow_claims(std::vector<IdempotencyClaim>& claims, std::span<const std::size_t> store_index,
                   std::size_t not_applied, std::span<const ItemResult> dropped_results) {
    for (IdempotencyClaim& claim : claims) {
        if (claim.first > store_index.size() || claim.count > store_index.size() - claim.first) {
            throw std::invalid_argument("idempotency claim '" + claim.key +
                                        "' covers candidates beyond its batch");
        }
        std::size_t applied_before = 0;
        for (std::size_t i = 0; i < claim.first; ++i) {
            if (store_index[i] != not_applied) ++applied_before;
        }
        // Per covered candidate: its result when dropped, nothing when the store decides it.
        std::vector<std::optional<ItemResult>> covered;
        covered.reserve(claim.count);
        std::size_t applied = 0;
        for (std::size_t i = claim.first; i < claim.first + claim.count; ++i) {
            if (store_index[i] == not_applied) {
                covered.emplace_back(dropped_results[i]);
            } else {
                covered.emplace_back();
                ++applied;
            }
        }
        claim.first = applied_before;
        claim.count = applied;
        if (applied == covered.size()) continue;  // nothing dropped: the answer stays as is
        claim.answer = [render = std::move(claim.answer),
                        covered = std::move(covered)](std::span<const ItemResult> decided) {
            std::vector<ItemResult> all;
            all.reserve(covered.size());
            auto next = decided.begin();
            for (const std::optional<ItemResult>& dropped : covered)
                all.push_back(dropped ? *dropped : *next++);
            return render ? render(all) : IdempotentAnswer{};
        };
    }
}

void append_shifted_claims(std::vector<IdempotencyClaim>& merged,
                           const std::vector<IdempotencyClaim>& claims, std::size_t offset) {
    for (const IdempotencyClaim& claim : claims) {
        IdempotencyClaim& shifted = merged.emplace_back(claim);
        shifted.first += offset;
    }
}

}  // namespace tradestore::kernel
