// Idempotency keys (the IETF httpapi Idempotency-Key draft, Stripe's semantics): a source that
// lets its clients retry a request claims the request's key in the same transaction as the
// request's decisions, with a hash of the request and the answer rendered from those decisions.
// A retry then gets the first answer again instead of a second decision. The store never knows
// the source's protocol: the source renders the answer, the store writes it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/outcome.h"
#include "tradestore/trade.h"

namespace tradestore {

// What a source answered (for HTTP: the status and the body).
struct IdempotentAnswer {
    int status = 0;
    std::string body;

    bool operator==(const IdempotentAnswer&) const = default;
};

// A claimed key as the store keeps it.
struct StoredAnswer {
    std::string request_hash;
    IdempotentAnswer answer;
    Timestamp expires_at{};
};

// One key claimed by a batch. It covers the candidates [first, first + count) of its batch;
// `answer` renders the answer from their results, inside the store's transaction.
struct IdempotencyClaim {
    std::string key;           // scoped by the source (by the caller, say), unique in the store
    std::string request_hash;  // tells a retry (same hash) from a reuse of the key (another)
    Timestamp expires_at{};    // kept until then, then pruned
    std::size_t first = 0;
    std::size_t count = 0;
    std::function<IdempotentAnswer(std::span<const ItemResult>)> answer;
};

// Thrown by Store::apply() when a claimed key is held by another transaction or by a row that
// has not expired: nothing of the call was committed. The source answers the retry from the
// stored row, or tells the client that the first request is still in flight.
class IdempotencyKeyInUse : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A claim's row to write: the rendered answer. Views point into the claims.
struct IdempotencyRow {
    std::string_view key;
    std::string_view request_hash;
    IdempotentAnswer answer;
    Timestamp expires_at{};
};

// The rows of a batch's claims, rendered from the batch's results, in key order (the order in
// which a store takes them, so that two transactions cannot deadlock on keys).
inline std::vector<IdempotencyRow> idempotency_rows(std::span<const IdempotencyClaim> claims,
                                                    std::span<const ItemResult> results) {
    std::vector<IdempotencyRow> rows;
    rows.reserve(claims.size());
    for (const IdempotencyClaim& claim : claims) {
        if (claim.first > results.size() || claim.count > results.size() - claim.first) {
            throw std::logic_error("idempotency claim '" + claim.key +
                                   "' covers candidates beyond its batch");
        }
        rows.push_back({claim.key, claim.request_hash,
                        claim.answer ? claim.answer(results.subspan(claim.first, claim.count))
                                     : IdempotentAnswer{},
                        claim.expires_at});
    }
    std::sort(rows.begin(), rows.end(),
              [](const IdempotencyRow& a, const IdempotencyRow& b) { return a.key < b.key; });
    return rows;
}

}  // namespace tradestore
