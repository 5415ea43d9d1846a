// The store contract for history retention (TradeHistory::prune_history): the versions before
// the cut-off that a later version before it supersedes go; each trade keeps its last version
// before the cut-off and everything after it, so every as-of read from the cut-off on and the
// fold of each history give what they gave before; rows waiting in the change outbox stay;
// rejections are not history and are left alone. Part of StoreContractTest; test executables
// list this file among their sources (a static library would drop it).
#include <gmock/gmock.h>
#include <tradestore/history.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store_contract.h"

namespace tradestore::contract {
namespace {

using std::chrono::days;
using std::chrono::microseconds;

const std::vector<std::string> kIds = {"P1", "P2", "P3", "P4"};

// The oracle: a trade's history after pruning at `cutoff`, from its history before.
std::vector<HistoryRecord> kept(const std::vector<HistoryRecord>& history, Timestamp cutoff) {
    std::vector<HistoryRecord> result;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const bool superseded_before_cutoff =
            i + 1 < history.size() && history[i + 1].recorded_at < cutoff;
        if (history[i].recorded_at >= cutoff || !superseded_before_cutoff) {
            result.push_back(history[i]);
        }
    }
    return result;
}

}  // namespace

TEST_P(StoreContractTest, PruningHistoryKeepsEachTradesLastVersionBeforeTheCutOff) {
    TradeHistory* history = store().trade_history();
    ASSERT_NE(history, nullptr);
    // P1: four versions; P2: one; P3: created, deleted; P4: created, deleted, created again.
    for (std::int64_t version = 1; version <= 4; ++version) {
        const std::string book = "B" + std::to_string(version);
        ASSERT_NE(apply_one(trade("P1", version, kToday + days{version}, book)).outcome,
                  Outcome::Rejected);
    }
    ASSERT_EQ(apply_one(trade("P2", 1)).outcome, Outcome::Created);
    ASSERT_EQ(apply_one(trade("P3", 1)).outcome, Outcome::Created);
    ASSERT_EQ(apply_one(trade("P4", 1)).outcome, Outcome::Created);
    ASSERT_EQ(apply({delete_candidate("P3", "rest", "del-3"), delete_candidate("P4", "rest", "d4")})
                  .at(1)
                  .outcome,
              Outcome::Deleted);
    ASSERT_EQ(apply_one(trade("P1", 1)).outcome, Outcome::Rejected);  // audit only
    ASSERT_EQ(apply_one(trade("P4", 2)).outcome, Outcome::Created);
    const std::int64_t failed_before = [&] {
        std::int64_t failed = 0;
        for (const AuditEntry& entry : all_audit()) failed += entry.success ? 0 : 1;
        return failed;
    }();

    std::map<std::string, std::vector<HistoryRecord>> before;
    for (const std::string& id : kIds) before[id] = history_of(store(), id);
    // The cut-off: just after P4's delete (everything before P4's second life is before it),
    // then the instants to read as of.
    ASSERT_EQ(before["P4"].size(), 3u);
    const Timestamp cutoff = before["P4"][1].recorded_at + microseconds{1};
    std::vector<Timestamp> instants = {cutoff};
    for (const auto& [id, records] : before) {
        for (const HistoryRecord& record : records) {
            if (record.recorded_at >= cutoff) instants.push_back(record.recorded_at);
        }
    }
    std::map<Timestamp, std::vector<HistoryRecord>> snapshots;
    for (const Timestamp at : instants) snapshots[at] = history->trades_at(at, 0, 100);

    std::int64_t expected_pruned = 0;
    for (const auto& [id, records] : before) {
        expected_pruned += static_cast<std::int64_t>(records.size() - kept(records, cutoff).size());
    }
    ASSERT_EQ(expected_pruned, 5);  // P1 v1..v3, P3's and P4's first CREATE
    EXPECT_EQ(history->prune_history(cutoff), expected_pruned);

    for (const auto& [id, records] : before) {
        EXPECT_EQ(history_of(store(), id), kept(records, cutoff)) << id;
    }
    for (const auto& [at, snapshot] : snapshots) {
        EXPECT_EQ(history->trades_at(at, 0, 100), snapshot);
    }
    EXPECT_EQ(history->book_at("B4", cutoff + days{1}).size(), 1u);  // P1 v4
    std::int64_t failed_after = 0;
    for (const AuditEntry& entry : all_audit()) failed_after += entry.success ? 0 : 1;
    EXPECT_EQ(failed_after, failed_before);
    EXPECT_EQ(history->prune_history(cutoff), 0);  // nothing more to prune
}

TEST_P(StoreContractTest, PruningHistoryLeavesWhatTheChangeFeedHasNotPublished) {
    reopen_with_change_feed();
    for (std::int64_t version = 1; version <= 3; ++version) {
        ASSERT_NE(apply_one(trade("Q1", version)).outcome, Outcome::Rejected);
    }
    ChangeOutbox* outbox = store().change_outbox();
    ASSERT_NE(outbox, nullptr);
    const std::vector<HistoryChange> queued = outbox->unpublished_changes(10);
    ASSERT_EQ(queued.size(), 3u);
    const Timestamp everything = queued.back().record.recorded_at + microseconds{1};

    EXPECT_EQ(store().trade_history()->prune_history(everything), 0);
    EXPECT_EQ(history_of(store(), "Q1").size(), 3u);
    outbox->mark_changes_published({queued[0].id});
    EXPECT_EQ(store().trade_history()->prune_history(everything), 1);
    outbox->mark_changes_published({queued[1].id, queued[2].id});
    EXPECT_EQ(store().trade_history()->prune_history(everything), 1);  // v3 stays: the last
    const auto left = history_of(store(), "Q1");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].trade.version, 3);
}

}  // namespace tradestore::contract
