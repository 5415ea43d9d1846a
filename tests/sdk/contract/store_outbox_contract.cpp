// The audit outbox contract: what the mongo-audit shipper relies on, checked through the Store
// interface alone. Every audit entry is written unshipped in the transaction of its decision;
// unshipped_audit() offers the unshipped ones oldest (lowest id) first; mark_audit_shipped()
// takes them out of the outbox (per entry: never a high-water mark on ids); marking is
// idempotent; prune_shipped_audit() deletes only shipped entries strictly older than the
// cut-off that are not versions of a trade (an accepted decision's entry is part of the trade
// history, tradestore/history.h, and stays). Nothing here depends on how a store tracks shipping.
#include <gmock/gmock.h>
#include <tradestore/history.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "store_contract.h"

namespace tradestore::contract {

std::string outbox_test_name(const ::testing::TestParamInfo<StoreImplementation>& info) {
    return info.param.name;
}

// Linked into executables that instantiate only the other suites.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreOutboxTest);

namespace {

using std::chrono::days;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

std::size_t history_size(Store& store, const std::string& trade_id) {
    return history_of(store, trade_id).size();
}

std::vector<std::int64_t> ids_of(const std::vector<AuditEntry>& entries) {
    std::vector<std::int64_t> out;
    for (const AuditEntry& e : entries) out.push_back(e.id);
    return out;
}

// Waits until the store's clock has surely moved on, so the next transaction's entries carry
// a later timestamp than the previous one's.
void let_time_pass() {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST_P(StoreOutboxTest, AFreshStoreHasNothingToShip) {
    EXPECT_THAT(audit_outbox().unshipped_audit(100), IsEmpty());
    EXPECT_EQ(audit_outbox().unshipped_audit_count(), 0);
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 0);
    audit_outbox().mark_audit_shipped({});  // nothing to mark is fine
}

TEST_P(StoreOutboxTest, EveryKindOfEntryIsOfferedOldestFirstAsAudited) {
    apply_one(trade("T1", 1));
    apply_one(trade("T1", 3));
    apply_one(trade("T1", 2));                    // rejected: lower version
    apply_one(trade("T2", 1, kToday - days{1}));  // rejected: maturity in the past
    apply_one(trade("T3", 1, kToday + days{1}), kToday - days{10});
    ASSERT_TRUE(store().remove("T1", "rest", "del-T1"));
    ASSERT_EQ(store().expire(kToday + days{2}, "job"), 1);
    Batch dead_letter;
    AuditEntry entry;
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    entry.message = "not JSON";
    entry.source = "kafka";
    entry.reference = "trades/0/5";
    dead_letter.audit_only.push_back(entry);
    store().apply(dead_letter, rules_, kToday);

    const auto all = all_audit();
    ASSERT_EQ(all.size(), 8u);
    const auto unshipped = audit_outbox().unshipped_audit(1000);
    ASSERT_EQ(unshipped.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) expect_same_entry(unshipped[i], all[i]);
    for (std::size_t i = 1; i < unshipped.size(); ++i) {
        EXPECT_GT(unshipped[i].id, unshipped[i - 1].id);
    }
}

TEST_P(StoreOutboxTest, TheLimitTakesTheOldest) {
    for (int i = 1; i <= 5; ++i) apply_one(trade("L" + std::to_string(i), 1));
    const auto all = ids_of(all_audit());
    ASSERT_EQ(all.size(), 5u);
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(3)), ElementsAre(all[0], all[1], all[2]));
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(1)), ElementsAre(all[0]));
    EXPECT_THAT(audit_outbox().unshipped_audit(0), IsEmpty());
    // Reading does not take anything out of the outbox.
    EXPECT_EQ(audit_outbox().unshipped_audit(100).size(), 5u);
}

TEST_P(StoreOutboxTest, MarkingTakesExactlyThoseEntriesOutNotEveryLowerId) {
    for (int i = 1; i <= 6; ++i) apply_one(trade("M" + std::to_string(i), 1));
    const auto all = ids_of(all_audit());
    ASSERT_EQ(all.size(), 6u);

    // Marking a later entry says nothing about the earlier ones (no high-water mark): an
    // entry of a transaction that committed late is still offered.
    EXPECT_EQ(audit_outbox().unshipped_audit_count(), 6);
    audit_outbox().mark_audit_shipped({all[1], all[4]});
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(100)),
                ElementsAre(all[0], all[2], all[3], all[5]));
    EXPECT_EQ(audit_outbox().unshipped_audit_count(), 4);

    // Idempotent: marking again, or ids that do not exist, changes nothing and does not fail.
    audit_outbox().mark_audit_shipped({all[1], all[4], all[5] + 1000, -1});
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(100)),
                ElementsAre(all[0], all[2], all[3], all[5]));

    // Marking changes nothing of what the audit reads show.
    EXPECT_THAT(ids_of(all_audit()), ElementsAreArray(all));
    EXPECT_EQ(store().audit_count(std::nullopt), 6);

    audit_outbox().mark_audit_shipped({all[0], all[2], all[3], all[5]});
    EXPECT_THAT(audit_outbox().unshipped_audit(100), IsEmpty());
    EXPECT_EQ(audit_outbox().unshipped_audit_count(), 0);
}

TEST_P(StoreOutboxTest, EntriesWrittenAfterShippingAreOffered) {
    apply_one(trade("N1", 1));
    audit_outbox().mark_audit_shipped(ids_of(audit_outbox().unshipped_audit(100)));
    ASSERT_THAT(audit_outbox().unshipped_audit(100), IsEmpty());

    apply_one(trade("N1", 2));
    apply_one(trade("N1", 1));  // a rejection is audited, and shipped, too
    ASSERT_TRUE(store().remove("N1", "rest", "del"));
    const auto pending = audit_outbox().unshipped_audit(100);
    ASSERT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending[0].action, AuditAction::Update);
    EXPECT_EQ(pending[1].action, AuditAction::ValidationFailed);
    EXPECT_EQ(pending[2].action, AuditAction::Delete);
}

TEST_P(StoreOutboxTest, ShippedStateSurvivesReopening) {
    for (int i = 1; i <= 4; ++i) apply_one(trade("R" + std::to_string(i), 1));
    const auto all = ids_of(all_audit());
    audit_outbox().mark_audit_shipped({all[0], all[2]});
    reopen();
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(100)), ElementsAre(all[1], all[3]));
}

// The entries of accepted decisions are versions of their trades (tradestore/history.h) and
// are never pruned; rejections and dead letters (and entries written before a store kept
// history) are what pruning deletes. Rejections here: a lower version, or a maturity before
// the business date.
TEST_P(StoreOutboxTest, PruneDeletesOnlyShippedEntriesStrictlyOlderThanTheCutOff) {
    apply_one(trade("A1", 2));                    // a version
    apply_one(trade("A1", 1));                    // rejected: lower version
    apply_one(trade("A2", 1, kToday - days{1}));  // rejected: maturity in the past
    let_time_pass();
    apply_one(trade("A1", 1));  // rejected
    apply_one(trade("B1", 1));  // a version
    let_time_pass();
    apply_one(trade("A2", 1, kToday - days{1}));  // rejected
    const auto all = all_audit();
    ASSERT_EQ(all.size(), 6u);
    const Timestamp t_b = all[3].timestamp;
    const Timestamp t_c = all[5].timestamp;
    ASSERT_LT(all[2].timestamp, t_b);
    ASSERT_LE(all[4].timestamp, t_c);
    ASSERT_LT(all[3].timestamp, t_c);
    ASSERT_LT(all[4].timestamp, t_c);
    ASSERT_EQ(history_size(store(), "A1"), 1u);
    ASSERT_EQ(history_size(store(), "B1"), 1u);

    // Everything shipped except the first rejection.
    audit_outbox().mark_audit_shipped({all[0].id, all[2].id, all[3].id, all[4].id, all[5].id});

    // Cut-off t_b: the shipped rejection before B goes; the unshipped one waits for shipping,
    // however old it is; the version before B stays; B's entries, written exactly at the
    // cut-off, stay.
    EXPECT_EQ(audit_outbox().prune_shipped_audit(t_b), 1);
    EXPECT_EQ(audit_outbox().prune_shipped_audit(t_b), 0);
    EXPECT_THAT(ids_of(all_audit()),
                ElementsAre(all[0].id, all[1].id, all[3].id, all[4].id, all[5].id));

    EXPECT_EQ(audit_outbox().prune_shipped_audit(t_c), 1);
    EXPECT_THAT(ids_of(all_audit()), ElementsAre(all[0].id, all[1].id, all[4].id, all[5].id));
    EXPECT_EQ(store().audit_count(std::nullopt), 4);
    EXPECT_EQ(store().audit_count(std::string("A2")), 1);

    EXPECT_EQ(audit_outbox().prune_shipped_audit(t_c + std::chrono::microseconds{1}), 1);
    EXPECT_THAT(ids_of(all_audit()), ElementsAre(all[0].id, all[1].id, all[4].id));
    EXPECT_THAT(ids_of(audit_outbox().unshipped_audit(100)), ElementsAre(all[1].id));
    EXPECT_EQ(store().audit_count(std::string("A2")), 0);

    // Pruning never touches the trades themselves, nor their history.
    EXPECT_TRUE(store().get("A1", kToday));
    EXPECT_TRUE(store().get("B1", kToday));
    EXPECT_EQ(history_size(store(), "A1"), 1u);
    EXPECT_EQ(history_size(store(), "B1"), 1u);

    // Once shipped, the old rejection can be pruned too; the versions stay, whatever the
    // cut-off; new entries continue after the old ids (the highest of which was pruned).
    audit_outbox().mark_audit_shipped({all[1].id});
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 1);
    EXPECT_THAT(ids_of(all_audit()), ElementsAre(all[0].id, all[4].id));
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 0);
    apply_one(trade("D1", 1));
    ASSERT_EQ(audit_outbox().unshipped_audit(10).size(), 1u);
    EXPECT_GT(audit_outbox().unshipped_audit(10)[0].id, all[5].id);
}

TEST_P(StoreOutboxTest, PruneOfManyEntriesDeletesThemAll) {
    // 5000 versions, then 5000 rejections (lower versions) to prune.
    for (const std::int64_t version : {2, 1}) {
        std::vector<Candidate> batch;
        for (int i = 0; i < 5000; ++i) {
            batch.push_back(candidate(trade("P" + std::to_string(i), version)));
        }
        apply(std::move(batch));
    }
    std::vector<std::int64_t> ids;
    for (;;) {
        const auto pending = audit_outbox().unshipped_audit(1000);
        if (pending.empty()) break;
        ASSERT_LE(pending.size(), 1000u);
        const auto batch_ids = ids_of(pending);
        audit_outbox().mark_audit_shipped(batch_ids);
        ids.insert(ids.end(), batch_ids.begin(), batch_ids.end());
    }
    EXPECT_EQ(ids.size(), 10000u);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 5000);
    EXPECT_EQ(store().audit_count(std::nullopt), 5000);
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 0);
    for (const int i : {0, 2500, 4999}) {
        const auto history = history_of(store(), "P" + std::to_string(i));
        ASSERT_EQ(history.size(), 1u) << i;
        EXPECT_EQ(history[0].trade.version, 2) << i;
    }
}

// Shipping everything and pruning with the latest cut-off deletes every rejection and dead
// letter and no version: the history reads the same before and after.
TEST_P(StoreOutboxTest, VersionEntriesAreNeverPruned) {
    ASSERT_NE(store().trade_history(), nullptr);
    apply_one(trade("V1", 1));
    apply_one(trade("V1", 2));
    apply_one(trade("V1", 1));                    // rejected
    apply_one(trade("V2", 1, kToday - days{1}));  // rejected
    apply_one(trade("V2", 1, kToday + days{1}), kToday - days{10});
    ASSERT_TRUE(store().remove("V1", "rest", "del-V1"));
    apply_one(trade("V1", 3));
    ASSERT_EQ(store().expire(kToday + days{2}, "job"), 1);  // V2
    Batch dead_letter;
    AuditEntry entry;
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    entry.message = "not JSON";
    entry.source = "kafka";
    entry.reference = "trades/0/5";
    dead_letter.audit_only.push_back(entry);
    store().apply(dead_letter, rules_, kToday);
    const auto v1 = history_of(store(), "V1");
    const auto v2 = history_of(store(), "V2");
    ASSERT_EQ(v1.size(), 4u);  // create, update, delete, create
    ASSERT_EQ(v2.size(), 2u);  // create, expire
    ASSERT_EQ(all_audit().size(), 9u);

    audit_outbox().mark_audit_shipped(ids_of(audit_outbox().unshipped_audit(1000)));
    ASSERT_EQ(audit_outbox().unshipped_audit_count(), 0);
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()),
              3);  // 2 rejections, 1 dead letter
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 0);
    EXPECT_EQ(history_of(store(), "V1"), v1);
    EXPECT_EQ(history_of(store(), "V2"), v2);
    const auto left = all_audit();
    ASSERT_EQ(left.size(), 6u);
    for (const AuditEntry& e : left) {
        EXPECT_TRUE(e.success) << e.id;
        EXPECT_NE(e.action, AuditAction::ValidationFailed) << e.id;
    }
    reopen();
    EXPECT_EQ(history_of(store(), "V1"), v1);
    EXPECT_EQ(audit_outbox().prune_shipped_audit(Timestamp::max()), 0);
}

// Writers keep applying while a shipper drains the outbox concurrently: at the end every
// entry was offered and marked exactly once, whatever order the transactions committed in.
TEST_P(StoreOutboxTest, AShipperBesideConcurrentWritersShipsEveryEntryExactlyOnce) {
    constexpr int kWriters = 4;
    constexpr int kBatches = 40;
    constexpr int kPerBatch = 5;
    std::atomic<int> writers_left{kWriters};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([this, w, &writers_left] {
            for (int b = 0; b < kBatches; ++b) {
                std::vector<Candidate> batch;
                for (int i = 0; i < kPerBatch; ++i) {
                    // New trades, and a lower version of one of them (a rejection).
                    const std::string id =
                        "W" + std::to_string(w) + "-" + std::to_string(b) + "-" + std::to_string(i);
                    batch.push_back(candidate(trade(id, 2)));
                    if (i == 0) batch.push_back(candidate(trade(id, 1)));
                }
                for (int attempt = 0;; ++attempt) {
                    try {
                        apply(batch);
                        break;
                    } catch (const StoreUnavailable&) {
                        if (attempt > 50) throw;
                    }
                }
            }
            --writers_left;
        });
    }

    std::vector<std::int64_t> shipped;
    for (;;) {
        const bool writers_done = writers_left.load() == 0;
        const auto pending = audit_outbox().unshipped_audit(37);
        for (std::size_t i = 1; i < pending.size(); ++i) {
            ASSERT_GT(pending[i].id, pending[i - 1].id);
        }
        const auto ids = ids_of(pending);
        audit_outbox().mark_audit_shipped(ids);
        shipped.insert(shipped.end(), ids.begin(), ids.end());
        if (pending.empty() && writers_done) break;
    }
    for (auto& writer : writers) writer.join();
    EXPECT_THAT(audit_outbox().unshipped_audit(100), IsEmpty());

    const std::set<std::int64_t> unique(shipped.begin(), shipped.end());
    EXPECT_EQ(unique.size(), shipped.size()) << "an entry was offered after it was marked";
    const auto all = ids_of(all_audit());
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kWriters * kBatches * (kPerBatch + 1)));
    EXPECT_EQ(std::vector<std::int64_t>(unique.begin(), unique.end()), all);
}

}  // namespace
}  // namespace tradestore::contract
