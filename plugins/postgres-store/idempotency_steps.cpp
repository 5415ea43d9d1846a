#include "idempotency_steps.h"

#include <algorithm>
#include <string>
#include <vector>

#include "array_literal.h"
#include "rows.h"

namespace tradestore::plugins::pg {

IdempotencySteps::IdempotencySteps(const Batch& batch, Timestamp now) : batch_(batch) {
    if (batch.idempotency.empty()) return;
    // Key order: two transactions claiming the same keys take them in the same order.
    std::vector<const IdempotencyClaim*> claims;
    claims.reserve(batch.idempotency.size());
    for (const IdempotencyClaim& claim : batch.idempotency) claims.push_back(&claim);
    std::sort(claims.begin(), claims.end(),
              [](const IdempotencyClaim* a, const IdempotencyClaim* b) { return a->key < b->key; });
    ArrayLiteral keys, hashes, expiries;
    for (const IdempotencyClaim* claim : claims) {
        keys.add(claim->key);
        hashes.add(claim->request_hash);
        expiries.add(to_micros(claim->expires_at));
    }
    claim_.text(keys.take()).text(hashes.take()).text(expiries.take()).integer(to_micros(now));
}

void IdempotencySteps::check(const Result& claimed) const {
    if (static_cast<std::size_t>(claimed.rows()) == batch_.idempotency.size()) return;
    std::vector<std::string_view> granted;
    for (int row = 0; row < claimed.rows(); ++row) granted.push_back(claimed.text(row, 0));
    for (const IdempotencyClaim& claim : batch_.idempotency) {
        if (std::find(granted.begin(), granted.end(), claim.key) == granted.end()) {
            throw IdempotencyKeyInUse("idempotency key '" + claim.key + "' is already in use");
        }
    }
    throw IdempotencyKeyInUse("an idempotency key of the batch is already in use");
}

Step IdempotencySteps::answer(std::span<const ItemResult> results) {
    ArrayLiteral keys, statuses, bodies;
    for (const IdempotencyRow& row : idempotency_rows(batch_.idempotency, results)) {
        keys.add(row.key);
        statuses.add(static_cast<std::int64_t>(row.answer.status));
        bodies.add(row.answer.body);
    }
    answer_ = Params();
    answer_.text(keys.take()).text(statuses.take()).text(bodies.take());
    return {Query::AnswerIdempotencyKeys, &answer_};
}

}  // namespace tradestore::plugins::pg
