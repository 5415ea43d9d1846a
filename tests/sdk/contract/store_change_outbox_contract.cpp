// The store contract for the change outbox (tradestore::ChangeOutbox): with the feed on, every
// history row is queued in the transaction that writes it, read back oldest first, and kept
// until marked published; with it off, a store offers none. Part of StoreContractTest; test
// executables list this file among their sources (a static library would drop it).
#include <gmock/gmock.h>
#include <tradestore/history.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "store_contract.h"

namespace tradestore::contract {
namespace {

using std::chrono::days;

// The outbox's rows of one trade, in outbox order.
std::vector<HistoryRecord> records_of(const std::vector<HistoryChange>& changes,
                                      const std::string& trade_id) {
    std::vector<HistoryRecord> records;
    for (const HistoryChange& change : changes) {
        if (change.record.trade.trade_id == trade_id) records.push_back(change.record);
    }
    return records;
}

std::vector<std::int64_t> ids_of(const std::vector<HistoryChange>& changes) {
    std::vector<std::int64_t> ids;
    for (const HistoryChange& change : changes) ids.push_back(change.id);
    return ids;
}

}  // namespace

TEST_P(StoreContractTest, AStoreOffersNoChangeOutboxUnlessTheFeedIsOn) {
    EXPECT_EQ(store().change_outbox(), nullptr);
}

TEST_P(StoreContractTest, TheChangeOutboxHoldsEveryHistoryRowInOrderUntilPublished) {
    // Written before the feed was on: history, but not queued.
    ASSERT_EQ(apply_one(trade("T0", 1)).outcome, Outcome::Created);
    reopen_with_change_feed();
    ChangeOutbox* outbox = store().change_outbox();
    ASSERT_NE(outbox, nullptr);
    EXPECT_TRUE(outbox->unpublished_changes(100).empty());
    EXPECT_EQ(outbox->unpublished_change_count(), 0);

    // Every kind of version, rejections and a replay among them, over several batches.
    ASSERT_EQ(apply({candidate(trade("T1", 1)), candidate(trade("T2", 1)),
                     candidate(trade("T1", 2, kToday + days{1}, "B2"))})[2]
                  .outcome,
              Outcome::Updated);
    ASSERT_EQ(apply_one(trade("T1", 2, kToday + days{1}, "B3")).outcome, Outcome::Replaced);
    ASSERT_EQ(apply_one(trade("T1", 1)).outcome, Outcome::Rejected);
    ASSERT_EQ(apply_one(trade("T3", 1, kToday - days{1})).outcome, Outcome::Rejected);
    ASSERT_EQ(apply({delete_candidate("T2", "kafka", "trades/0/7")})[0].outcome, Outcome::Deleted);
    ASSERT_EQ(apply({delete_candidate("T9", "kafka", "trades/0/8")})[0].outcome, Outcome::Rejected);
    ASSERT_EQ(apply_one(trade("T0", 2)).outcome, Outcome::Updated);
    ASSERT_EQ(store().expire(kToday + days{2}, "job"), 1);  // T1, matured
    ASSERT_TRUE(store().remove("T1", "rest", "del-1"));

    const std::vector<HistoryChange> changes = outbox->unpublished_changes(1000);
    // The oracle: each trade's history since the feed went on, in the outbox in its order;
    // nothing else (no rejection, no row from before).
    const std::vector<HistoryRecord> t0 = history_of(store(), "T0");
    ASSERT_EQ(t0.size(), 2u);
    EXPECT_EQ(records_of(changes, "T0"), std::vector<HistoryRecord>(t0.begin() + 1, t0.end()));
    EXPECT_EQ(records_of(changes, "T1"), history_of(store(), "T1"));
    EXPECT_EQ(records_of(changes, "T2"), history_of(store(), "T2"));
    EXPECT_TRUE(records_of(changes, "T3").empty());
    EXPECT_TRUE(records_of(changes, "T9").empty());
    const std::size_t expected =
        1 + history_of(store(), "T1").size() + history_of(store(), "T2").size();
    ASSERT_EQ(changes.size(), expected);
    const std::vector<std::int64_t> ids = ids_of(changes);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
    EXPECT_EQ(outbox->unpublished_change_count(), static_cast<std::int64_t>(expected));

    // A limit takes the oldest; publishing takes rows out, once.
    const std::vector<HistoryChange> first = outbox->unpublished_changes(3);
    ASSERT_EQ(first.size(), 3u);
    EXPECT_EQ(first, std::vector<HistoryChange>(changes.begin(), changes.begin() + 3));
    outbox->mark_changes_published(ids_of(first));
    outbox->mark_changes_published(ids_of(first));  // again: ignored
    EXPECT_EQ(outbox->unpublished_changes(1000),
              std::vector<HistoryChange>(changes.begin() + 3, changes.end()));
    EXPECT_EQ(outbox->unpublished_change_count(), static_cast<std::int64_t>(expected - 3));

    // Kept across a restart until published.
    reopen();
    outbox = store().change_outbox();
    ASSERT_NE(outbox, nullptr);
    EXPECT_EQ(outbox->unpublished_changes(1000),
              std::vector<HistoryChange>(changes.begin() + 3, changes.end()));
    outbox->mark_changes_published(ids_of(changes));
    EXPECT_TRUE(outbox->unpublished_changes(1000).empty());
    EXPECT_EQ(outbox->unpublished_change_count(), 0);
}

}  // namespace tradestore::contract
