// The store contract for idempotency keys (Batch::idempotency): a claimed key is written with
// its answer in the transaction of the decisions, a key in use refuses the whole batch, and
// expired keys are taken over and pruned. Part of StoreContractTest; test executables list
// this file among their sources (a static library would drop it: nothing refers to it).
#include <tradestore/idempotency.h>

#include <chrono>
#include <string>

#include "store_contract.h"

namespace tradestore::contract {
namespace {

Timestamp wall_clock() {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
}

// The answer names every covered result ("created:1;updated:2;") and counts them in the
// status, so a claim that covers the wrong candidates shows.
IdempotentAnswer describe(std::span<const ItemResult> results) {
    IdempotentAnswer answer{200 + static_cast<int>(results.size()), {}};
    for (const ItemResult& result : results) {
        answer.body += to_string(result.outcome);
        answer.body += ':';
        answer.body += result.stored ? std::to_string(result.stored->version) : "-";
        answer.body += ';';
    }
    return answer;
}

IdempotencyClaim claim(std::string key, std::string hash, Timestamp expires_at, std::size_t first,
                       std::size_t count) {
    return {std::move(key), std::move(hash), expires_at, first, count, &describe};
}

}  // namespace

TEST_P(StoreContractTest, AClaimedKeyKeepsTheAnswerOfItsCandidates) {
    ASSERT_NE(store().idempotency_keys(), nullptr);
    const Timestamp expires = wall_clock() + std::chrono::hours(1);
    Batch batch;
    batch.candidates = {candidate(trade("IK-1", 1)), candidate(trade("IK-2", 1)),
                        candidate(trade("IK-2", 2))};
    batch.idempotency = {claim("k-a", "hash-a", expires, 1, 2),
                         claim("k-b", "hash-b", expires, 0, 1)};
    store().apply(batch, rules_, kToday);

    const std::optional<StoredAnswer> a = idempotency_keys().idempotent_answer("k-a");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->request_hash, "hash-a");
    EXPECT_EQ(a->answer, (IdempotentAnswer{202, "created:1;updated:2;"}));
    EXPECT_EQ(a->expires_at, expires);
    const std::optional<StoredAnswer> b = idempotency_keys().idempotent_answer("k-b");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->answer, (IdempotentAnswer{201, "created:1;"}));
    EXPECT_FALSE(idempotency_keys().idempotent_answer("k-absent"));

    reopen();
    ASSERT_TRUE(idempotency_keys().idempotent_answer("k-a"));
    EXPECT_EQ(idempotency_keys().idempotent_answer("k-a")->answer.body, "created:1;updated:2;");
}

TEST_P(StoreContractTest, AKeyInUseRefusesTheWholeBatch) {
    const Timestamp expires = wall_clock() + std::chrono::hours(1);
    Batch first;
    first.candidates = {candidate(trade("IK-3", 1))};
    first.idempotency = {claim("k-used", "hash-1", expires, 0, 1)};
    store().apply(first, rules_, kToday);

    Batch second;
    second.candidates = {candidate(trade("IK-4", 1)), candidate(trade("IK-3", 2))};
    second.idempotency = {claim("k-other", "hash-o", expires, 0, 1),
                          claim("k-used", "hash-2", expires, 1, 1)};
    EXPECT_THROW(store().apply(second, rules_, kToday), IdempotencyKeyInUse);

    EXPECT_FALSE(store().get("IK-4", kToday));
    EXPECT_EQ(store().get("IK-3", kToday)->version, 1);
    EXPECT_TRUE(audit_of("IK-4").empty());
    EXPECT_EQ(audit_of("IK-3").size(), 1u);
    EXPECT_FALSE(idempotency_keys().idempotent_answer("k-other"));
    EXPECT_EQ(idempotency_keys().idempotent_answer("k-used")->request_hash, "hash-1");
}

TEST_P(StoreContractTest, AnExpiredKeyIsTakenOverAndPruned) {
    const Timestamp now = wall_clock();
    Batch stale;
    stale.candidates = {candidate(trade("IK-5", 1))};
    stale.idempotency = {claim("k-stale", "hash-old", now - std::chrono::hours(1), 0, 1),
                         claim("k-gone", "hash-g", now - std::chrono::seconds(1), 0, 1)};
    store().apply(stale, rules_, kToday);
    ASSERT_TRUE(idempotency_keys().idempotent_answer("k-stale"));

    Batch fresh;
    fresh.candidates = {candidate(trade("IK-5", 2))};
    fresh.idempotency = {claim("k-stale", "hash-new", now + std::chrono::hours(1), 0, 1),
                         claim("k-live", "hash-l", now + std::chrono::hours(1), 0, 1)};
    store().apply(fresh, rules_, kToday);
    EXPECT_EQ(idempotency_keys().idempotent_answer("k-stale")->request_hash, "hash-new");
    EXPECT_EQ(idempotency_keys().idempotent_answer("k-stale")->answer.body, "updated:2;");

    EXPECT_EQ(idempotency_keys().prune_idempotency_keys(now), 1);  // k-gone alone
    EXPECT_FALSE(idempotency_keys().idempotent_answer("k-gone"));
    EXPECT_TRUE(idempotency_keys().idempotent_answer("k-stale"));
    EXPECT_TRUE(idempotency_keys().idempotent_answer("k-live"));
    EXPECT_EQ(idempotency_keys().prune_idempotency_keys(now + std::chrono::hours(2)), 2);
    EXPECT_EQ(idempotency_keys().prune_idempotency_keys(now + std::chrono::hours(2)), 0);
}

TEST_P(StoreContractTest, AClaimWithoutCandidatesIsKept) {
    Batch batch;
    batch.idempotency = {claim("k-empty", "hash-e", wall_clock() + std::chrono::hours(1), 0, 0)};
    EXPECT_TRUE(store().apply(batch, rules_, kToday).empty());
    ASSERT_TRUE(idempotency_keys().idempotent_answer("k-empty"));
    EXPECT_EQ(idempotency_keys().idempotent_answer("k-empty")->answer, (IdempotentAnswer{200, ""}));
    EXPECT_THROW(store().apply(batch, rules_, kToday), IdempotencyKeyInUse);
}

}  // namespace tradestore::contract
