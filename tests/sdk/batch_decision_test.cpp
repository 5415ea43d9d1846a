// The SDK's batch decision: replays skipped against the recorded positions and within the
// batch, versions decided in order, one audit row per decision, one write per id.
#include <gtest/gtest.h>
#include <tradestore/batch_decision.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

namespace tradestore {
namespace {

using namespace std::chrono;

constexpr Date kToday = sys_days{year{2026} / 11 / 24};
const Timestamp kNow{microseconds{1'000'000}};

Trade make_trade(std::string id, std::int64_t version) {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP-" + std::to_string(version);
    trade.book_id = "B1";
    trade.maturity_date = kToday + days{30};
    trade.created_date = kToday;
    return trade;
}

Candidate from_kafka(std::string id, std::int64_t version, std::int32_t partition,
                     std::int64_t offset) {
    return {make_trade(std::move(id), version), "kafka", "t/" + std::to_string(offset),
            Origin{"t", partition, offset}};
}

struct Stored {
    std::map<std::string, StoredState> rows;
    std::vector<std::string> loads;
    auto loader() {
        return [this](const std::string& id) {
            loads.push_back(id);
            const auto found = rows.find(id);
            return found == rows.end() ? StoredState{} : found->second;
        };
    }
};

// Each accepted decision's audit row carries the version as stored (its history row), none a
// rejection; each version is stamped strictly after the id's time before (the stored row's,
// the tombstone's, or the previous version's in the batch), else `now`.
TEST(BatchDecisionTest, EveryAcceptedVersionIsAuditedWithItsTradeStampedAfterTheOneBefore) {
    Batch batch;
    batch.candidates = {from_kafka("A", 3, 0, 1), from_kafka("A", 3, 0, 2),
                        from_kafka("A", 1, 0, 3), from_kafka("B", 6, 0, 4),
                        from_kafka("C", 1, 0, 5)};
    Stored stored;
    Trade a = make_trade("A", 2);
    a.last_updated = kNow;  // recorded in the same microsecond as this batch's clock
    stored.rows["A"].row = a;
    stored.rows["B"].tombstone = 5;
    stored.rows["B"].deleted_at = kNow + microseconds{10};  // the clock stepped back since
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());

    ASSERT_EQ(plan.results[2].outcome, Outcome::Rejected);
    ASSERT_EQ(plan.audit.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        const Trade* expected = i == 2 ? nullptr : &*plan.results[i].stored;
        EXPECT_EQ(plan.audit[i].version, expected) << i;
    }
    EXPECT_EQ(plan.audit[0].action, AuditAction::Update);
    EXPECT_EQ(plan.audit[1].action, AuditAction::Replace);
    EXPECT_EQ(plan.audit[3].action, AuditAction::Create);
    const auto recorded = [&plan](std::size_t candidate) {
        return plan.results[candidate].stored->last_updated;
    };
    EXPECT_EQ(recorded(0), kNow + microseconds{1});
    EXPECT_EQ(recorded(1), kNow + microseconds{2});
    EXPECT_EQ(recorded(3), kNow + microseconds{11});
    EXPECT_EQ(recorded(4), kNow);
    // The row written for A is its last accepted version, with that version's time.
    ASSERT_EQ(plan.writes.size(), 3u);
    EXPECT_EQ(plan.writes[0].candidate, 1u);
}

TEST(BatchDecisionTest, SkipsOffsetsAtOrBelowTheRecordedPositionAndLoadsNothingForThem) {
    Batch batch;
    batch.candidates = {from_kafka("A", 1, 0, 4), from_kafka("B", 1, 0, 5),
                        from_kafka("C", 1, 0, 6)};
    Stored stored;
    const RecordedPositions recorded{{{"kafka", "t", 0}, 5}};
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, recorded, stored.loader());

    ASSERT_EQ(plan.results.size(), 3u);
    EXPECT_TRUE(plan.results[0].skipped_as_replay);
    EXPECT_TRUE(plan.results[1].skipped_as_replay);
    EXPECT_FALSE(plan.results[2].skipped_as_replay);
    EXPECT_EQ(plan.results[2].outcome, Outcome::Created);
    EXPECT_EQ(plan.replays, 2u);
    EXPECT_EQ(stored.loads, std::vector<std::string>{"C"});
    ASSERT_EQ(plan.audit.size(), 1u);  // no second audit entry for a replay
    EXPECT_EQ(plan.audit[0].trade_id, "C");
    ASSERT_EQ(plan.positions.size(), 1u);
    EXPECT_EQ(plan.positions[0], (SourcePosition{"kafka", "t", 0, 6}));
}

TEST(BatchDecisionTest, AWholeReplayMovesNoPositionAndWritesNothing) {
    Batch batch;
    batch.candidates = {from_kafka("A", 2, 1, 7)};
    AuditEntry letter;
    letter.trade_id = "bad";
    letter.source = "kafka";
    letter.origin = {"t", 1, 6};
    batch.audit_only.push_back(letter);
    Stored stored;
    const RecordedPositions recorded{{{"kafka", "t", 1}, 7}};
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, recorded, stored.loader());
    EXPECT_TRUE(plan.results[0].skipped_as_replay);
    EXPECT_TRUE(plan.audit.empty());
    EXPECT_TRUE(plan.writes.empty());
    EXPECT_TRUE(plan.positions.empty());
    EXPECT_EQ(plan.replays, 2u);
}

TEST(BatchDecisionTest, AnOffsetRepeatedInsideTheBatchIsDecidedOnce) {
    Batch batch;
    batch.candidates = {from_kafka("A", 1, 0, 3), from_kafka("A", 1, 0, 3)};
    Stored stored;
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());
    EXPECT_EQ(plan.results[0].outcome, Outcome::Created);
    EXPECT_TRUE(plan.results[1].skipped_as_replay);
    EXPECT_EQ(plan.audit.size(), 1u);
}

// Offsets out of order, interleaved over two partitions: an item is a replay exactly when its
// partition had its offset earlier in the batch, whatever the order they came in.
TEST(BatchDecisionTest, AnOffsetSeenEarlierInTheBatchIsAReplayInAnyOrder) {
    const std::vector<std::pair<std::int32_t, std::int64_t>> items = {
        {0, 10}, {0, 5}, {1, 5}, {0, 7}, {0, 5}, {1, 5}, {0, 10}, {0, 11}, {0, 7}, {1, 4}, {0, 6}};
    Batch batch;
    for (std::size_t i = 0; i < items.size(); ++i) {
        batch.candidates.push_back(
            from_kafka("T" + std::to_string(i), 1, items[i].first, items[i].second));
    }
    Stored stored;
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());

    std::size_t replays = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
        SCOPED_TRACE("item " + std::to_string(i));
        const bool seen_before =
            std::find(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(i), items[i]) !=
            items.begin() + static_cast<std::ptrdiff_t>(i);
        EXPECT_EQ(plan.results[i].skipped_as_replay, seen_before);
        replays += seen_before ? 1 : 0;
    }
    EXPECT_EQ(replays, 4u);  // the oracle itself: (0,5), (1,5), (0,10), (0,7) again
    EXPECT_EQ(plan.replays, replays);
    ASSERT_EQ(plan.positions.size(), 2u);
    EXPECT_EQ(plan.positions[0], (SourcePosition{"kafka", "t", 0, 11}));
    EXPECT_EQ(plan.positions[1], (SourcePosition{"kafka", "t", 1, 5}));
}

TEST(BatchDecisionTest, ADeadLetterBetweenCandidatesMakesNoneOfThemAReplay) {
    // Kafka offsets 4 (a trade), 5 (a dead letter), 6 (a trade): audit-only entries are decided
    // first, yet offset 4 is no replay of offset 5.
    Batch batch;
    batch.candidates = {from_kafka("A", 1, 0, 4), from_kafka("B", 1, 0, 6)};
    AuditEntry letter;
    letter.trade_id = "bad";
    letter.source = "kafka";
    letter.origin = {"t", 0, 5};
    batch.audit_only.push_back(letter);
    batch.audit_only.push_back(letter);  // the same offset twice is recorded once
    Stored stored;
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());
    EXPECT_FALSE(plan.results[0].skipped_as_replay);
    EXPECT_FALSE(plan.results[1].skipped_as_replay);
    EXPECT_EQ(plan.replays, 1u);
    EXPECT_EQ(plan.audit.size(), 3u);
    ASSERT_EQ(plan.positions.size(), 1u);
    EXPECT_EQ(plan.positions[0], (SourcePosition{"kafka", "t", 0, 6}));
}

TEST(BatchDecisionTest, PartitionsAreIndependentAndCandidatesWithoutOriginAreNeverReplays) {
    Batch batch;
    batch.candidates = {from_kafka("A", 1, 0, 10),
                        from_kafka("B", 1, 1, 2),
                        {make_trade("C", 1), "rest", "req-1", {}}};
    Stored stored;
    const RecordedPositions recorded{{{"kafka", "t", 0}, 10}, {{"kafka", "t", 1}, 1}};
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, recorded, stored.loader());
    EXPECT_TRUE(plan.results[0].skipped_as_replay);
    EXPECT_FALSE(plan.results[1].skipped_as_replay);
    EXPECT_FALSE(plan.results[2].skipped_as_replay);
    EXPECT_EQ(plan.results[2].outcome, Outcome::Created);
    ASSERT_EQ(plan.positions.size(), 1u);
    EXPECT_EQ(plan.positions[0], (SourcePosition{"kafka", "t", 1, 2}));
}

TEST(BatchDecisionTest, VersionsOfOneIdAreDecidedInOrderAndTheLastAcceptedIsWritten) {
    Batch batch;
    batch.candidates = {from_kafka("A", 3, 0, 1), from_kafka("A", 2, 0, 2),
                        from_kafka("A", 3, 0, 3), from_kafka("A", 4, 0, 4)};
    Stored stored;
    stored.rows["A"].row = make_trade("A", 1);
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());
    EXPECT_EQ(plan.results[0].outcome, Outcome::Updated);
    EXPECT_EQ(plan.results[1].outcome, Outcome::Rejected);
    ASSERT_FALSE(plan.results[1].reasons.empty());
    EXPECT_EQ(plan.results[1].reasons[0].code, reason::kLowerVersion);
    EXPECT_EQ(plan.results[2].outcome, Outcome::Replaced);
    EXPECT_EQ(plan.results[3].outcome, Outcome::Updated);
    EXPECT_EQ(plan.results[3].previous_version, 3);
    ASSERT_EQ(plan.writes.size(), 1u);
    EXPECT_EQ(plan.writes[0].candidate, 3u);
    EXPECT_TRUE(plan.writes[0].existed);
    // Three accepted versions of A in one batch: recorded at now, now + 1 us, now + 2 us.
    EXPECT_EQ(plan.results[3].stored->last_updated, kNow + microseconds{2});
    EXPECT_EQ(plan.audit.size(), 4u);
    EXPECT_EQ(stored.loads.size(), 1u);
}

TEST(BatchDecisionTest, OnlyAHigherVersionRestoresADeletedTrade) {
    Batch batch;
    batch.candidates = {{make_trade("A", 2), "rest", "r1", {}},
                        {make_trade("A", 3), "rest", "r2", {}}};
    Stored stored;
    stored.rows["A"].tombstone = 2;
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());
    EXPECT_EQ(plan.results[0].outcome, Outcome::Rejected);
    EXPECT_EQ(plan.results[1].outcome, Outcome::Created);
    ASSERT_EQ(plan.writes.size(), 1u);
    EXPECT_TRUE(plan.writes[0].restores);
    EXPECT_FALSE(plan.writes[0].existed);
}

// Every book a live trade leaves through an accepted version is listed, in decision order,
// moves within the batch included; a rejected move, a new trade and a restored one leave none.
TEST(BatchDecisionTest, EachBookALiveTradeLeavesIsADeparture) {
    const auto in_book = [](std::string id, std::int64_t version, std::string book) {
        Candidate candidate{make_trade(std::move(id), version), "rest", "r", {}};
        candidate.trade.book_id = std::move(book);
        return candidate;
    };
    Batch batch;
    batch.candidates = {in_book("A", 2, "B2"), in_book("A", 1, "B9"), in_book("A", 3, "B2"),
                        in_book("A", 4, "B3"), in_book("A", 5, "B1"), in_book("N", 1, "B4"),
                        in_book("N", 2, "B5"), in_book("D", 3, "B6")};
    Stored stored;
    stored.rows["A"].row = make_trade("A", 1);  // in B1
    stored.rows["D"].tombstone = 2;
    const BatchPlan plan = decide_batch(batch, {}, kToday, kNow, {}, stored.loader());
    ASSERT_EQ(plan.results[1].outcome, Outcome::Rejected);
    ASSERT_EQ(plan.results[7].outcome, Outcome::Created);
    std::vector<std::pair<std::string_view, std::string_view>> departures;
    for (const BookDeparture& d : plan.departures) departures.emplace_back(d.book_id, d.trade_id);
    const std::vector<std::pair<std::string_view, std::string_view>> expected{
        {"B1", "A"}, {"B2", "A"}, {"B3", "A"}, {"B4", "N"}};
    EXPECT_EQ(departures, expected);
}

TEST(BatchDecisionTest, PartitionsOfABatchAreListedOnceInKeyOrder) {
    Batch batch;
    batch.candidates = {from_kafka("A", 1, 2, 1), from_kafka("B", 1, 0, 1),
                        from_kafka("C", 1, 2, 2)};
    batch.positions.push_back({"kafka", "s", 0, 4});
    const std::vector<PartitionKey> keys = partitions_of(batch);
    ASSERT_EQ(keys.size(), 3u);
    EXPECT_EQ(keys[0], (PartitionKey{"kafka", "s", 0}));
    EXPECT_EQ(keys[1], (PartitionKey{"kafka", "t", 0}));
    EXPECT_EQ(keys[2], (PartitionKey{"kafka", "t", 2}));
}

}  // namespace
}  // namespace tradestore
