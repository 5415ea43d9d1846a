// The store contract: what every tradestore::Store must do, checked through the interface
// alone with the real trade rules. Business dates are fixed (kToday); never the wall clock.
#include "store_contract.h"

#include <gmock/gmock.h>
#include <tradestore/history.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

namespace tradestore::contract {

std::string contract_test_name(const ::testing::TestParamInfo<StoreImplementation>& info) {
    return info.param.name;
}

// Linked into executables that instantiate only the other suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreContractTest);

namespace {

using std::chrono::days;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> codes(const ItemResult& result) {
    std::vector<std::string> out;
    for (const Rejection& r : result.reasons) out.push_back(r.code);
    return out;
}

std::vector<std::string> ids(const std::vector<Trade>& trades) {
    std::vector<std::string> out;
    for (const Trade& t : trades) out.push_back(t.trade_id);
    return out;
}

std::vector<AuditAction> actions(const std::vector<AuditEntry>& entries) {
    std::vector<AuditAction> out;
    for (const AuditEntry& e : entries) out.push_back(e.action);
    return out;
}

// A rule that fails loudly for one trade id, to prove a failed batch leaves nothing behind.
class ThrowingRule final : public Rule {
  public:
    void check(const RuleInput& input, std::vector<Rejection>&) const override {
        if (input.incoming.trade_id == "BOOM") throw std::runtime_error("rule failed");
    }
};

// ---- create, update, replace, reject -------------------------------------------------------

TEST_P(StoreContractTest, CreateStoresTheTradeAndAuditsIt) {
    const Trade incoming = trade("T1", 1, kToday + days{30}, "B7", "CP-9");
    const ItemResult result = apply_one(incoming);
    EXPECT_EQ(result.outcome, Outcome::Created);
    EXPECT_THAT(result.reasons, IsEmpty());
    EXPECT_FALSE(result.previous_version);
    EXPECT_FALSE(result.skipped_as_replay);
    ASSERT_TRUE(result.stored);
    EXPECT_EQ(result.stored->trade_id, "T1");
    EXPECT_EQ(result.stored->version, 1);
    EXPECT_NE(result.stored->last_updated, Timestamp{});

    const auto got = store().get("T1", kToday);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->trade_id, "T1");
    EXPECT_EQ(got->version, 1);
    EXPECT_EQ(got->counter_party_id, "CP-9");
    EXPECT_EQ(got->book_id, "B7");
    EXPECT_EQ(got->maturity_date, incoming.maturity_date);
    EXPECT_EQ(got->created_date, incoming.created_date);
    EXPECT_FALSE(got->expired);
    EXPECT_EQ(got->last_updated, result.stored->last_updated);
    EXPECT_EQ(*got, *result.stored);

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_GT(audit[0].id, 0);
    EXPECT_EQ(audit[0].trade_id, "T1");
    EXPECT_EQ(audit[0].action, AuditAction::Create);
    EXPECT_TRUE(audit[0].success);
    EXPECT_THAT(audit[0].reason_codes, IsEmpty());
    EXPECT_EQ(audit[0].received_version, 1);
    EXPECT_FALSE(audit[0].stored_version);
    EXPECT_EQ(audit[0].source, "rest");
    EXPECT_EQ(audit[0].reference, "req-1");
    EXPECT_NE(audit[0].timestamp, Timestamp{});
}

TEST_P(StoreContractTest, GetOfAnUnknownTradeIsEmpty) {
    EXPECT_FALSE(store().get("nope", kToday));
}

TEST_P(StoreContractTest, TheServerOwnsExpiredAndLastUpdated) {
    Trade incoming = trade("T1", 1);
    incoming.expired = true;
    incoming.last_updated = Timestamp{std::chrono::microseconds{123}};
    const ItemResult result = apply_one(incoming);
    ASSERT_EQ(result.outcome, Outcome::Created);
    ASSERT_TRUE(result.stored);
    EXPECT_FALSE(result.stored->expired);
    EXPECT_NE(result.stored->last_updated, incoming.last_updated);
    const auto got = store().get("T1", kToday);
    ASSERT_TRUE(got);
    EXPECT_FALSE(got->expired);
    EXPECT_NE(got->last_updated, incoming.last_updated);
}

TEST_P(StoreContractTest, HigherVersionUpdates) {
    apply_one(trade("T1", 1));
    const ItemResult result = apply_one(trade("T1", 2, kToday + days{60}, "B1", "CP-2"));
    EXPECT_EQ(result.outcome, Outcome::Updated);
    EXPECT_EQ(result.previous_version, 1);
    ASSERT_TRUE(result.stored);
    EXPECT_EQ(result.stored->version, 2);

    const auto got = store().get("T1", kToday);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->version, 2);
    EXPECT_EQ(got->counter_party_id, "CP-2");
    EXPECT_EQ(got->maturity_date, kToday + days{60});

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[1].action, AuditAction::Update);
    EXPECT_TRUE(audit[1].success);
    EXPECT_EQ(audit[1].received_version, 2);
    EXPECT_EQ(audit[1].stored_version, 1);
}

TEST_P(StoreContractTest, SameVersionReplaces) {
    apply_one(trade("T1", 2));
    const ItemResult result = apply_one(trade("T1", 2, kToday + days{5}, "B2", "CP-3"));
    EXPECT_EQ(result.outcome, Outcome::Replaced);
    EXPECT_EQ(result.previous_version, 2);

    const auto got = store().get("T1", kToday);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->version, 2);
    EXPECT_EQ(got->book_id, "B2");
    EXPECT_EQ(got->counter_party_id, "CP-3");

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[1].action, AuditAction::Replace);
    EXPECT_EQ(audit[1].received_version, 2);
    EXPECT_EQ(audit[1].stored_version, 2);
}

TEST_P(StoreContractTest, LowerVersionIsRejectedAndLeavesTheRow) {
    const ItemResult created = apply_one(trade("T1", 3, kToday + days{10}, "B1", "CP-1"));
    const ItemResult result = apply_one(trade("T1", 2, kToday + days{20}, "B9", "CP-9"));
    EXPECT_EQ(result.outcome, Outcome::Rejected);
    EXPECT_THAT(codes(result), ElementsAre("LOWER_VERSION"));
    ASSERT_EQ(result.reasons.size(), 1u);
    EXPECT_EQ(result.reasons[0].message,
              "Trade T1: Received version 2 is lower than current version 3");
    EXPECT_EQ(result.previous_version, 3);
    ASSERT_TRUE(result.stored);
    EXPECT_EQ(*result.stored, *created.stored);

    const auto got = store().get("T1", kToday);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, *created.stored);

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[1].action, AuditAction::ValidationFailed);
    EXPECT_FALSE(audit[1].success);
    EXPECT_THAT(audit[1].reason_codes, ElementsAre("LOWER_VERSION"));
    EXPECT_THAT(audit[1].message, HasSubstr(result.reasons[0].message));
    EXPECT_EQ(audit[1].received_version, 2);
    EXPECT_EQ(audit[1].stored_version, 3);
}

TEST_P(StoreContractTest, LowerVersionIsRejectedEvenWithoutRules) {
    rules_.clear();
    apply_one(trade("T1", 2));
    const ItemResult result = apply_one(trade("T1", 1));
    EXPECT_EQ(result.outcome, Outcome::Rejected);
    EXPECT_THAT(codes(result), ElementsAre("LOWER_VERSION"));
    EXPECT_EQ(store().get("T1", kToday)->version, 2);
}

TEST_P(StoreContractTest, MaturityInThePastIsRejected) {
    const ItemResult result = apply_one(trade("T1", 1, kToday - days{1}));
    EXPECT_EQ(result.outcome, Outcome::Rejected);
    EXPECT_THAT(codes(result), ElementsAre("MATURITY_IN_PAST"));
    EXPECT_EQ(result.reasons[0].message,
              "Trade T1: Maturity date 2026-11-23 is before the business date 2026-11-24");
    EXPECT_FALSE(result.stored);
    EXPECT_FALSE(result.previous_version);
    EXPECT_FALSE(store().get("T1", kToday));

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0].action, AuditAction::ValidationFailed);
    EXPECT_FALSE(audit[0].success);
    EXPECT_THAT(audit[0].reason_codes, ElementsAre("MATURITY_IN_PAST"));
    EXPECT_EQ(audit[0].received_version, 1);
    EXPECT_FALSE(audit[0].stored_version);
}

TEST_P(StoreContractTest, MaturityOnTheBusinessDateIsAccepted) {
    EXPECT_EQ(apply_one(trade("T1", 1, kToday)).outcome, Outcome::Created);
    EXPECT_FALSE(store().get("T1", kToday)->expired);
}

TEST_P(StoreContractTest, EveryFailedRuleIsReportedAndAudited) {
    apply_one(trade("T1", 5));
    const ItemResult result = apply_one(trade("T1", 4, kToday - days{30}));
    EXPECT_EQ(result.outcome, Outcome::Rejected);
    EXPECT_THAT(codes(result), ElementsAre("LOWER_VERSION", "MATURITY_IN_PAST"));
    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_THAT(audit[1].reason_codes, ElementsAre("LOWER_VERSION", "MATURITY_IN_PAST"));
    EXPECT_THAT(audit[1].message, HasSubstr(result.reasons[0].message));
    EXPECT_THAT(audit[1].message, HasSubstr(result.reasons[1].message));
}

// ---- batches -------------------------------------------------------------------------------

TEST_P(StoreContractTest, EmptyBatchGivesNoResults) {
    EXPECT_THAT(apply({}), IsEmpty());
    EXPECT_EQ(store().audit_count(std::nullopt), 0);
}

// A batch larger than a store's audit write chunk (sqlite-store writes 32 rows per statement):
// every decision audited once, in decision order, each row with its own values.
TEST_P(StoreContractTest, ALargeBatchAuditsEveryDecisionInOrder) {
    constexpr int kCandidates = 75;  // two chunks of 32 and 11 rows on their own
    std::vector<Candidate> batch;
    for (int i = 0; i < kCandidates; ++i) {
        // Every fifth candidate repeats the id before it at version 1: lower, so rejected.
        const bool lower = i % 5 == 4;
        const std::string id = "T" + std::to_string(lower ? i - 1 : i);
        batch.push_back(candidate(trade(id, lower ? 1 : 2), "kafka", "ref-" + std::to_string(i)));
    }
    apply(std::move(batch));

    const auto audit = all_audit();
    ASSERT_EQ(audit.size(), static_cast<std::size_t>(kCandidates));
    for (int i = 0; i < kCandidates; ++i) {
        SCOPED_TRACE("candidate " + std::to_string(i));
        const bool lower = i % 5 == 4;
        const AuditEntry& entry = audit[static_cast<std::size_t>(i)];
        if (i > 0) {
            EXPECT_GT(entry.id, audit[static_cast<std::size_t>(i) - 1].id);
        }
        EXPECT_EQ(entry.trade_id, "T" + std::to_string(lower ? i - 1 : i));
        EXPECT_EQ(entry.reference, "ref-" + std::to_string(i));
        EXPECT_EQ(entry.source, "kafka");
        EXPECT_EQ(entry.action, lower ? AuditAction::ValidationFailed : AuditAction::Create);
        EXPECT_EQ(entry.success, !lower);
        EXPECT_EQ(entry.received_version, lower ? 1 : 2);
        EXPECT_EQ(entry.stored_version, lower ? std::optional<std::int64_t>{2} : std::nullopt);
        if (lower) {
            EXPECT_THAT(entry.reason_codes, ElementsAre("LOWER_VERSION"));
        } else {
            EXPECT_THAT(entry.reason_codes, IsEmpty());
        }
    }
}

TEST_P(StoreContractTest, SeveralVersionsOfOneIdInOneBatchApplyInOrder) {
    std::vector<Candidate> batch;
    for (std::int64_t version : {1, 3, 2, 3, 5, 4}) {
        batch.push_back(candidate(trade("T1", version), "kafka", "v" + std::to_string(version)));
    }
    const auto results = apply(std::move(batch));
    ASSERT_EQ(results.size(), 6u);

    const Outcome expected[] = {Outcome::Created,  Outcome::Updated, Outcome::Rejected,
                                Outcome::Replaced, Outcome::Updated, Outcome::Rejected};
    const std::optional<std::int64_t> previous[] = {std::nullopt, 1, 3, 3, 3, 5};
    const std::int64_t stored_after[] = {1, 3, 3, 3, 5, 5};
    for (std::size_t i = 0; i < results.size(); ++i) {
        SCOPED_TRACE("candidate " + std::to_string(i));
        EXPECT_EQ(results[i].outcome, expected[i]);
        EXPECT_EQ(results[i].previous_version, previous[i]);
        ASSERT_TRUE(results[i].stored);
        EXPECT_EQ(results[i].stored->version, stored_after[i]);
    }
    EXPECT_THAT(codes(results[2]), ElementsAre("LOWER_VERSION"));
    EXPECT_EQ(results[2].reasons[0].message,
              "Trade T1: Received version 2 is lower than current version 3");
    EXPECT_EQ(store().get("T1", kToday)->version, 5);

    const auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 6u);
    EXPECT_THAT(actions(audit), ElementsAre(AuditAction::Create, AuditAction::Update,
                                            AuditAction::ValidationFailed, AuditAction::Replace,
                                            AuditAction::Update, AuditAction::ValidationFailed));
    for (std::size_t i = 0; i < audit.size(); ++i) {
        EXPECT_EQ(audit[i].stored_version, previous[i]);
        EXPECT_EQ(audit[i].reference, "v" + std::to_string(*audit[i].received_version));
    }
}

TEST_P(StoreContractTest, MixedBatchAuditsEveryDecisionInOrder) {
    apply_one(trade("A", 2));
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("A", 1), "rest", "ref-0"));                    // lower
    batch.push_back(candidate(trade("B", 1), "kafka", "ref-1"));                   // created
    batch.push_back(candidate(trade("C", 1, kToday - days{2}), "rest", "ref-2"));  // matured
    batch.push_back(candidate(trade("A", 3), "rest", "ref-3"));                    // updated
    batch.push_back(candidate(trade("C", 2), "rest", "ref-4"));                    // created
    batch.push_back(candidate(trade("B", 1), "kafka", "ref-5"));                   // replaced
    const auto results = apply(std::move(batch));
    ASSERT_EQ(results.size(), 6u);
    EXPECT_EQ(results[0].outcome, Outcome::Rejected);
    EXPECT_THAT(codes(results[0]), ElementsAre("LOWER_VERSION"));
    EXPECT_EQ(results[1].outcome, Outcome::Created);
    EXPECT_EQ(results[2].outcome, Outcome::Rejected);
    EXPECT_THAT(codes(results[2]), ElementsAre("MATURITY_IN_PAST"));
    EXPECT_FALSE(results[2].stored);
    EXPECT_EQ(results[3].outcome, Outcome::Updated);
    EXPECT_EQ(results[4].outcome, Outcome::Created);
    EXPECT_FALSE(results[4].previous_version);
    EXPECT_EQ(results[5].outcome, Outcome::Replaced);
    for (const ItemResult& r : results) {
        EXPECT_EQ(r.reasons.empty(), r.outcome != Outcome::Rejected);
    }

    const auto audit = all_audit();
    ASSERT_EQ(audit.size(), 7u);
    struct Expected {
        std::string trade_id;
        AuditAction action;
        bool success;
        std::vector<std::string> codes;
        std::optional<std::int64_t> received;
        std::optional<std::int64_t> stored;
        std::string source;
    };
    const Expected expected[] = {
        {"A", AuditAction::ValidationFailed, false, {"LOWER_VERSION"}, 1, 2, "rest"},
        {"B", AuditAction::Create, true, {}, 1, std::nullopt, "kafka"},
        {"C", AuditAction::ValidationFailed, false, {"MATURITY_IN_PAST"}, 1, std::nullopt, "rest"},
        {"A", AuditAction::Update, true, {}, 3, 2, "rest"},
        {"C", AuditAction::Create, true, {}, 2, std::nullopt, "rest"},
        {"B", AuditAction::Replace, true, {}, 1, 1, "kafka"},
    };
    for (std::size_t i = 0; i < 6; ++i) {
        SCOPED_TRACE("candidate " + std::to_string(i));
        const AuditEntry& entry = audit[i + 1];
        EXPECT_GT(entry.id, audit[i].id);
        EXPECT_EQ(entry.trade_id, expected[i].trade_id);
        EXPECT_EQ(entry.action, expected[i].action);
        EXPECT_EQ(entry.success, expected[i].success);
        EXPECT_EQ(entry.reason_codes, expected[i].codes);
        EXPECT_EQ(entry.received_version, expected[i].received);
        EXPECT_EQ(entry.stored_version, expected[i].stored);
        EXPECT_EQ(entry.source, expected[i].source);
        EXPECT_EQ(entry.reference, "ref-" + std::to_string(i));
    }
}

TEST_P(StoreContractTest, LargeBatchOfNewTrades) {
    std::vector<Candidate> batch;
    for (int i = 0; i < 1000; ++i) batch.push_back(candidate(trade("N" + std::to_string(i), 1)));
    const auto results = apply(std::move(batch));
    ASSERT_EQ(results.size(), 1000u);
    for (const ItemResult& r : results) EXPECT_EQ(r.outcome, Outcome::Created);
    EXPECT_EQ(store().statistics(kToday).total_trades, 1000);
    EXPECT_EQ(store().audit_count(std::nullopt), 1000);
}

TEST_P(StoreContractTest, AFailedBatchWritesNothing) {
    ThrowingRule throwing;
    rules_.push_back(&throwing);
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("A", 1)));
    batch.push_back(candidate(trade("BOOM", 1)));
    EXPECT_ANY_THROW(apply(std::move(batch), kToday, {{"kafka", "trades", 0, 42}}));

    EXPECT_FALSE(store().get("A", kToday));
    EXPECT_EQ(store().audit_count(std::nullopt), 0);
    EXPECT_FALSE(store().position("kafka", "trades", 0));
    EXPECT_EQ(store().statistics(kToday).total_trades, 0);

    // The store goes on working.
    EXPECT_EQ(apply_one(trade("A", 1)).outcome, Outcome::Created);
    EXPECT_EQ(store().audit_count(std::nullopt), 1);
}

// ---- delete and tombstones -----------------------------------------------------------------

TEST_P(StoreContractTest, DeleteKeepsATombstoneThatOnlyAHigherVersionPasses) {
    apply_one(trade("T1", 3));
    ASSERT_TRUE(store().remove("T1", "rest", "del-1"));
    EXPECT_FALSE(store().get("T1", kToday));
    EXPECT_THAT(store().list(0, 100, kToday), IsEmpty());

    auto audit = audit_of("T1");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[1].action, AuditAction::Delete);
    EXPECT_TRUE(audit[1].success);
    EXPECT_EQ(audit[1].stored_version, 3);
    EXPECT_FALSE(audit[1].received_version);
    EXPECT_EQ(audit[1].source, "rest");
    EXPECT_EQ(audit[1].reference, "del-1");

    for (std::int64_t version : {3, 2}) {
        const ItemResult result = apply_one(trade("T1", version));
        EXPECT_EQ(result.outcome, Outcome::Rejected);
        EXPECT_THAT(codes(result), ElementsAre("DELETED_VERSION"));
        EXPECT_FALSE(result.stored);
        EXPECT_FALSE(result.previous_version);
    }
    EXPECT_FALSE(store().get("T1", kToday));

    const ItemResult restored = apply_one(trade("T1", 4));
    EXPECT_EQ(restored.outcome, Outcome::Created);
    EXPECT_FALSE(restored.previous_version);
    EXPECT_EQ(store().get("T1", kToday)->version, 4);

    // Deleted again at 4: the tombstone now holds 4.
    ASSERT_TRUE(store().remove("T1", "rest", "del-2"));
    EXPECT_THAT(codes(apply_one(trade("T1", 4))), ElementsAre("DELETED_VERSION"));
    EXPECT_EQ(apply_one(trade("T1", 5)).outcome, Outcome::Created);

    audit = audit_of("T1");
    EXPECT_THAT(actions(audit),
                ElementsAre(AuditAction::Create, AuditAction::Delete, AuditAction::ValidationFailed,
                            AuditAction::ValidationFailed, AuditAction::Create, AuditAction::Delete,
                            AuditAction::ValidationFailed, AuditAction::Create));
}

TEST_P(StoreContractTest, TombstoneAppliesWithinOneBatch) {
    apply_one(trade("T1", 3));
    ASSERT_TRUE(store().remove("T1", "rest", "del"));
    std::vector<Candidate> batch;
    for (std::int64_t version : {3, 4, 4, 2}) batch.push_back(candidate(trade("T1", version)));
    const auto results = apply(std::move(batch));
    ASSERT_EQ(results.size(), 4u);
    EXPECT_THAT(codes(results[0]), ElementsAre("DELETED_VERSION"));
    EXPECT_EQ(results[1].outcome, Outcome::Created);
    EXPECT_EQ(results[2].outcome, Outcome::Replaced);
    EXPECT_THAT(codes(results[3]), ElementsAre("LOWER_VERSION"));
    EXPECT_EQ(store().get("T1", kToday)->version, 4);
}

// ---- reads ---------------------------------------------------------------------------------

TEST_P(StoreContractTest, ListIsOrderedBytewiseWithSkipAndLimit) {
    const std::vector<std::string> unsorted = {"b",
                                               "a'b",
                                               "x;y",
                                               "--z",
                                               "Robert'); DROP TABLE trades;--",
                                               "\xc3\xbc-umlaut",
                                               "\xc3\xa9",
                                               "Z",
                                               "a",
                                               "a\"q",
                                               "\xe6\x97\xa5\xe6\x9c\xac",
                                               "10",
                                               "9",
                                               "a b",
                                               "%_*",
                                               "A",
                                               "a;",
                                               "\xf0\x9f\x98\x80"};
    std::vector<Candidate> batch;
    for (const std::string& id : unsorted) batch.push_back(candidate(trade(id, 1)));
    for (const ItemResult& r : apply(std::move(batch))) ASSERT_EQ(r.outcome, Outcome::Created);

    std::vector<std::string> sorted = unsorted;
    std::sort(sorted.begin(), sorted.end());  // std::string compares bytes as unsigned char

    EXPECT_EQ(ids(store().list(0, 100, kToday)), sorted);
    EXPECT_EQ(ids(store().list(3, 4, kToday)),
              std::vector<std::string>(sorted.begin() + 3, sorted.begin() + 7));
    EXPECT_EQ(ids(store().list(15, 100, kToday)),
              std::vector<std::string>(sorted.begin() + 15, sorted.end()));
    EXPECT_THAT(store().list(100, 10, kToday), IsEmpty());
    EXPECT_THAT(store().list(0, 0, kToday), IsEmpty());

    std::vector<std::string> paged;
    for (std::int64_t skip = 0; skip < 30; skip += 4) {
        for (const Trade& t : store().list(skip, 4, kToday)) paged.push_back(t.trade_id);
    }
    EXPECT_EQ(paged, sorted);

    for (const std::string& id : unsorted) {
        const auto got = store().get(id, kToday);
        ASSERT_TRUE(got) << id;
        EXPECT_EQ(got->trade_id, id);
    }
    EXPECT_EQ(store().statistics(kToday).total_trades, static_cast<std::int64_t>(sorted.size()));
}

TEST_P(StoreContractTest, ListByBookReturnsThatBookOrderedById) {
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("t3", 1, kToday + days{1}, "B1")));
    batch.push_back(candidate(trade("t1", 1, kToday + days{1}, "B2")));
    batch.push_back(candidate(trade("t2", 1, kToday + days{1}, "B1")));
    batch.push_back(candidate(trade("t0", 1, kToday + days{1}, "B1'--")));
    batch.push_back(candidate(trade("T9", 1, kToday + days{1}, "B1")));
    apply(std::move(batch));

    EXPECT_THAT(ids(store().list_by_book("B1", kToday)), ElementsAre("T9", "t2", "t3"));
    EXPECT_THAT(ids(store().list_by_book("B1'--", kToday)), ElementsAre("t0"));
    EXPECT_THAT(store().list_by_book("B3", kToday), IsEmpty());

    // Moving a trade to another book moves it in the listing.
    apply_one(trade("t2", 2, kToday + days{1}, "B2"));
    EXPECT_THAT(ids(store().list_by_book("B1", kToday)), ElementsAre("T9", "t3"));
    EXPECT_THAT(ids(store().list_by_book("B2", kToday)), ElementsAre("t1", "t2"));
}

TEST_P(StoreContractTest, ReadsShowAMaturedTradeAsExpiredBeforeExpireRan) {
    const Date earlier = kToday - days{10};
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("M1", 1, kToday - days{1})));
    batch.push_back(candidate(trade("M2", 1, kToday)));
    batch.push_back(candidate(trade("M3", 1, kToday + days{1})));
    for (const ItemResult& r : apply(std::move(batch), earlier)) {
        ASSERT_EQ(r.outcome, Outcome::Created);
    }

    EXPECT_TRUE(store().get("M1", kToday)->expired);
    EXPECT_FALSE(store().get("M2", kToday)->expired);
    EXPECT_FALSE(store().get("M3", kToday)->expired);
    EXPECT_FALSE(store().get("M1", earlier)->expired);

    const auto listed = store().list(0, 10, kToday);
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_TRUE(listed[0].expired);
    EXPECT_FALSE(listed[1].expired);
    EXPECT_FALSE(listed[2].expired);

    const auto by_book = store().list_by_book("B1", kToday + days{1});
    ASSERT_EQ(by_book.size(), 3u);
    EXPECT_TRUE(by_book[0].expired);
    EXPECT_TRUE(by_book[1].expired);
    EXPECT_FALSE(by_book[2].expired);

    const Statistics stats = store().statistics(kToday);
    EXPECT_EQ(stats.total_trades, 3);
    EXPECT_EQ(stats.expired_trades, 1);
    EXPECT_EQ(stats.active_trades, 2);
    EXPECT_EQ(store().statistics(kToday + days{2}).expired_trades, 3);
    EXPECT_EQ(store().statistics(earlier).active_trades, 3);
}

TEST_P(StoreContractTest, StatisticsOfAnEmptyStoreAreZero) {
    const Statistics stats = store().statistics(kToday);
    EXPECT_EQ(stats.total_trades, 0);
    EXPECT_EQ(stats.active_trades, 0);
    EXPECT_EQ(stats.expired_trades, 0);
}

// ---- expiry --------------------------------------------------------------------------------

TEST_P(StoreContractTest, ExpireMarksExactlyTheMaturedTradesAndAuditsEach) {
    const Date earlier = kToday - days{10};
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("E2", 2, kToday - days{1})));
    batch.push_back(candidate(trade("E1", 1, kToday - days{5})));
    batch.push_back(candidate(trade("K1", 1, kToday)));
    batch.push_back(candidate(trade("K2", 1, kToday + days{5})));
    batch.push_back(candidate(trade("D1", 1, kToday - days{2})));
    apply(std::move(batch), earlier);
    ASSERT_TRUE(store().remove("D1", "rest", "del"));
    const std::int64_t before = store().audit_count(std::nullopt);

    EXPECT_EQ(store().expire(kToday, "job"), 2);

    auto audit = all_audit();
    ASSERT_EQ(audit.size(), static_cast<std::size_t>(before + 2));
    std::vector<AuditEntry> expiries(audit.begin() + before, audit.end());
    std::sort(expiries.begin(), expiries.end(),
              [](const AuditEntry& a, const AuditEntry& b) { return a.trade_id < b.trade_id; });
    EXPECT_EQ(expiries[0].trade_id, "E1");
    EXPECT_EQ(expiries[1].trade_id, "E2");
    for (const AuditEntry& entry : expiries) {
        EXPECT_EQ(entry.action, AuditAction::Expire);
        EXPECT_TRUE(entry.success);
        EXPECT_THAT(entry.reason_codes, IsEmpty());
        EXPECT_EQ(entry.source, "job");
        EXPECT_FALSE(entry.received_version);
        EXPECT_NE(entry.timestamp, Timestamp{});
    }
    EXPECT_EQ(expiries[0].stored_version, 1);
    EXPECT_EQ(expiries[1].stored_version, 2);

    // Marked in the store: expired even as of an earlier business date.
    EXPECT_TRUE(store().get("E1", earlier)->expired);
    EXPECT_TRUE(store().get("E2", earlier)->expired);
    EXPECT_FALSE(store().get("K1", earlier)->expired);
    EXPECT_FALSE(store().get("K1", kToday)->expired);
    EXPECT_FALSE(store().get("D1", kToday));
    const Statistics stats = store().statistics(earlier);
    EXPECT_EQ(stats.total_trades, 4);
    EXPECT_EQ(stats.expired_trades, 2);
    EXPECT_EQ(stats.active_trades, 2);

    // A second run finds nothing left to mark and audits nothing.
    EXPECT_EQ(store().expire(kToday, "job"), 0);
    EXPECT_EQ(store().audit_count(std::nullopt), before + 2);

    // The next day K1 has matured.
    EXPECT_EQ(store().expire(kToday + days{1}, "job"), 1);
    EXPECT_TRUE(store().get("K1", earlier)->expired);
    EXPECT_EQ(audit_of("K1").back().action, AuditAction::Expire);
}

TEST_P(StoreContractTest, ANewVersionOfAnExpiredTradeIsActiveAgain) {
    apply_one(trade("E1", 1, kToday - days{1}), kToday - days{5});
    ASSERT_EQ(store().expire(kToday, "job"), 1);
    const ItemResult result = apply_one(trade("E1", 2, kToday + days{10}));
    EXPECT_EQ(result.outcome, Outcome::Updated);
    ASSERT_TRUE(result.stored);
    EXPECT_FALSE(result.stored->expired);
    EXPECT_FALSE(store().get("E1", kToday)->expired);
    EXPECT_EQ(store().statistics(kToday).active_trades, 1);
}

// A store may write an update of a live trade that keeps its maturity date without touching
// what the expiry reads (sqlite-store does): the trade must still expire when it matures, and
// a new version of an expired trade must be live again even with the same maturity date.
TEST_P(StoreContractTest, AnUpdateKeepingTheMaturityDateStillExpiresAndRevivesAnExpiredTrade) {
    const Date maturity = kToday - days{1};
    const Date earlier = kToday - days{5};
    apply_one(trade("E1", 1, maturity, "B1", "CP-1"), earlier);
    ASSERT_EQ(apply_one(trade("E1", 2, maturity, "B2", "CP-2"), earlier).outcome, Outcome::Updated);
    EXPECT_THAT(store().list_by_book("B1", earlier), IsEmpty());
    ASSERT_EQ(store().list_by_book("B2", earlier).size(), 1u);
    EXPECT_EQ(store().expire(kToday, "job"), 1);
    EXPECT_TRUE(store().get("E1", earlier)->expired);

    const ItemResult result = apply_one(trade("E1", 3, maturity, "B2", "CP-2"), earlier);
    EXPECT_EQ(result.outcome, Outcome::Updated);
    ASSERT_TRUE(result.stored);
    EXPECT_FALSE(result.stored->expired);
    EXPECT_FALSE(store().get("E1", earlier)->expired);
    EXPECT_EQ(store().statistics(earlier).active_trades, 1);
    EXPECT_EQ(store().expire(kToday, "job"), 1);  // matured again, so expired again
    EXPECT_TRUE(store().get("E1", earlier)->expired);
}

TEST_P(StoreContractTest, ExpireOfAnEmptyStoreIsZero) {
    EXPECT_EQ(store().expire(kToday, "job"), 0);
    EXPECT_EQ(store().audit_count(std::nullopt), 0);
}

// ---- source positions ----------------------------------------------------------------------

TEST_P(StoreContractTest, PositionsAreRecordedAndNeverMoveBack) {
    EXPECT_FALSE(store().position("kafka", "trades", 0));

    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("T1", 1), "kafka", "trades/0/10"));
    const auto results = apply(std::move(batch), kToday, {{"kafka", "trades", 0, 10}});
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].skipped_as_replay);
    EXPECT_EQ(store().position("kafka", "trades", 0), 10);

    apply({}, kToday, {{"kafka", "trades", 0, 5}});
    EXPECT_EQ(store().position("kafka", "trades", 0), 10);
    apply({}, kToday, {{"kafka", "trades", 0, 11}});
    EXPECT_EQ(store().position("kafka", "trades", 0), 11);

    // Partitions, streams and sources are kept apart.
    apply({}, kToday, {{"kafka", "trades", 1, 3}, {"kafka", "other", 0, 99}});
    EXPECT_EQ(store().position("kafka", "trades", 1), 3);
    EXPECT_EQ(store().position("kafka", "other", 0), 99);
    EXPECT_EQ(store().position("kafka", "trades", 0), 11);
    EXPECT_FALSE(store().position("kafka2", "trades", 0));
    EXPECT_FALSE(store().position("kafka", "trades", 2));

    // Several positions for one partition in one batch: the highest wins.
    apply({}, kToday, {{"kafka", "trades", 1, 8}, {"kafka", "trades", 1, 6}});
    EXPECT_EQ(store().position("kafka", "trades", 1), 8);
    EXPECT_EQ(store().audit_count(std::nullopt), 1);
}

// ---- replays and zombie consumers -----------------------------------------------------------

namespace {
Candidate from_partition(Trade trade, std::int32_t partition, std::int64_t offset) {
    Candidate c{std::move(trade), "kafka",
                "trades/" + std::to_string(partition) + "/" + std::to_string(offset),
                Origin{"trades", partition, offset}};
    return c;
}
}  // namespace

TEST_P(StoreContractTest, AnOffsetAppliedOnceIsSkippedWhenItComesAgain) {
    Batch first;
    first.candidates.push_back(from_partition(trade("RP-1", 1), 0, 40));
    first.candidates.push_back(from_partition(trade("RP-2", 1), 0, 41));
    auto results = store().apply(first, rules_, kToday);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_FALSE(results[0].skipped_as_replay);
    EXPECT_EQ(store().position("kafka", "trades", 0), 41);  // from the origins alone

    // The same messages again (a retry after a COMMIT whose outcome was unknown), then one
    // new: only the new one is decided and audited.
    Batch again = first;
    again.candidates.push_back(from_partition(trade("RP-1", 2), 0, 42));
    results = store().apply(again, rules_, kToday);
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(results[0].skipped_as_replay);
    EXPECT_TRUE(results[1].skipped_as_replay);
    EXPECT_FALSE(results[2].skipped_as_replay);
    EXPECT_EQ(results[2].outcome, Outcome::Updated);
    EXPECT_EQ(store().audit_count(std::nullopt), 3);
    EXPECT_EQ(store().audit_count(std::string("RP-1")), 2);
    EXPECT_EQ(store().position("kafka", "trades", 0), 42);
}

TEST_P(StoreContractTest, AZombieConsumersLateBatchChangesNothing) {
    // The new owner of partition 3 applied offsets 7 and 8 (payload "new"); the member that
    // lost the partition then commits its batch of 7 and 8 with the older payload "old".
    Trade newer = trade("ZB-1", 5);
    newer.counter_party_id = "NEW";
    Trade older = trade("ZB-1", 5);
    older.counter_party_id = "OLD";
    Batch owner;
    owner.candidates.push_back(from_partition(trade("ZB-1", 4), 3, 7));
    owner.candidates.push_back(from_partition(newer, 3, 8));
    store().apply(owner, rules_, kToday);

    Batch zombie;
    zombie.candidates.push_back(from_partition(trade("ZB-1", 4), 3, 7));
    zombie.candidates.push_back(from_partition(older, 3, 8));
    AuditEntry letter;
    letter.trade_id = "";
    letter.action = AuditAction::ValidationFailed;
    letter.success = false;
    letter.reason_codes = {"MALFORMED_JSON"};
    letter.source = "kafka";
    letter.reference = "trades/3/6";
    letter.origin = {"trades", 3, 6};
    zombie.audit_only.push_back(letter);
    const auto results = store().apply(zombie, rules_, kToday);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_TRUE(results[0].skipped_as_replay);
    EXPECT_TRUE(results[1].skipped_as_replay);
    EXPECT_EQ(store().get("ZB-1", kToday)->counter_party_id, "NEW");  // no content regression
    EXPECT_EQ(store().audit_count(std::nullopt), 2);                  // one entry per offset
    EXPECT_EQ(store().position("kafka", "trades", 3), 8);
}

TEST_P(StoreContractTest, CandidatesWithoutAnOriginAreNeverReplays) {
    Batch batch;
    batch.candidates.push_back(candidate(trade("NO-1", 1)));
    store().apply(batch, rules_, kToday);
    const auto results = store().apply(batch, rules_, kToday);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_FALSE(results[0].skipped_as_replay);
    EXPECT_EQ(results[0].outcome, Outcome::Replaced);
}

// ---- audit queries -------------------------------------------------------------------------

TEST_P(StoreContractTest, AuditOnlyEntriesAreWrittenWithTheBatch) {
    Batch batch;
    batch.candidates.push_back(candidate(trade("AO-1", 1)));
    AuditEntry dead_letter;
    dead_letter.trade_id = "";
    dead_letter.action = AuditAction::ValidationFailed;
    dead_letter.success = false;
    dead_letter.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    dead_letter.message = "Message at trades/2/17 is not JSON";
    dead_letter.source = "kafka";
    dead_letter.reference = "trades/2/17";
    batch.audit_only.push_back(dead_letter);
    batch.positions.push_back({"kafka", "trades", 2, 17});
    auto results = store().apply(batch, rules_, kToday);
    ASSERT_EQ(results.size(), 1u);  // one result per candidate, none for audit-only entries
    EXPECT_EQ(results[0].outcome, Outcome::Created);

    const auto all = all_audit();
    ASSERT_EQ(all.size(), 2u);
    const auto& written = all[0].trade_id.empty() ? all[0] : all[1];
    EXPECT_EQ(written.action, AuditAction::ValidationFailed);
    EXPECT_FALSE(written.success);
    EXPECT_EQ(written.reason_codes, (std::vector<std::string>{"MALFORMED_JSON", "DEAD_LETTERED"}));
    EXPECT_EQ(written.message, "Message at trades/2/17 is not JSON");
    EXPECT_EQ(written.source, "kafka");
    EXPECT_EQ(written.reference, "trades/2/17");
    EXPECT_EQ(store().position("kafka", "trades", 2), 17);
}

TEST_P(StoreContractTest, AuditSupportsSkipLimitTradeFilterAndCount) {
    for (std::int64_t version = 1; version <= 5; ++version) {
        apply_one(trade("T1", version));
        if (version <= 3) apply_one(trade("T2", version));
    }
    EXPECT_EQ(store().audit_count(std::nullopt), 8);
    EXPECT_EQ(store().audit_count(std::string("T1")), 5);
    EXPECT_EQ(store().audit_count(std::string("T2")), 3);
    EXPECT_EQ(store().audit_count(std::string("none")), 0);

    const auto all = all_audit();
    ASSERT_EQ(all.size(), 8u);
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].id, all[i - 1].id);

    const auto page = store().audit(AuditQuery{std::nullopt, 2, 3});
    ASSERT_EQ(page.size(), 3u);
    for (std::size_t i = 0; i < page.size(); ++i) expect_same_entry(page[i], all[i + 2]);

    const auto t1 = store().audit(AuditQuery{std::string("T1"), 1, 2});
    ASSERT_EQ(t1.size(), 2u);
    EXPECT_EQ(t1[0].trade_id, "T1");
    EXPECT_EQ(t1[0].received_version, 2);
    EXPECT_EQ(t1[1].received_version, 3);

    EXPECT_THAT(store().audit(AuditQuery{std::string("T2"), 3, 10}), IsEmpty());
    EXPECT_THAT(store().audit(AuditQuery{std::nullopt, 0, 0}), IsEmpty());
    EXPECT_EQ(store().audit(AuditQuery{std::nullopt, 6, 100}).size(), 2u);
}

// ---- trade history -------------------------------------------------------------------------

// A trade's whole history; none, and a failure, when the store keeps no history.
std::vector<AuditAction> actions(const std::vector<HistoryRecord>& records) {
    std::vector<AuditAction> out;
    for (const HistoryRecord& r : records) out.push_back(r.action);
    return out;
}

// recorded_at strictly increases, and each record's trade carries it as last_updated.
void expect_recorded_in_order(const std::vector<HistoryRecord>& records) {
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].trade.last_updated, records[i].recorded_at) << "record " << i;
        EXPECT_NE(records[i].recorded_at, Timestamp{}) << "record " << i;
        if (i > 0) {
            EXPECT_GT(records[i].recorded_at, records[i - 1].recorded_at) << "record " << i;
        }
    }
}

TEST_P(StoreContractTest, HistoryRecordsEveryAcceptedVersionInOrder) {
    ASSERT_NE(store().trade_history(), nullptr);
    const Date earlier = kToday - days{5};
    const auto one = [&](Trade t, std::string source, std::string reference) {
        std::vector<Candidate> batch;
        batch.push_back(candidate(std::move(t), std::move(source), std::move(reference)));
        auto results = apply(std::move(batch), earlier);
        EXPECT_EQ(results.size(), 1u);
        return results.empty() ? ItemResult{} : std::move(results.front());
    };
    const ItemResult created = one(trade("T1", 1, kToday + days{30}), "rest", "req-a");
    const ItemResult updated = one(trade("T1", 2, kToday + days{40}), "kafka", "trades/0/7");
    const ItemResult replaced =
        one(trade("T1", 2, kToday + days{40}, "B2", "CP-2"), "rest", "req-c");
    ASSERT_EQ(created.outcome, Outcome::Created);
    ASSERT_EQ(updated.outcome, Outcome::Updated);
    ASSERT_EQ(replaced.outcome, Outcome::Replaced);
    ASSERT_EQ(history_of(store(), "T1").size(), 3u);
    ASSERT_EQ(one(trade("T1", 1), "rest", "req-d").outcome, Outcome::Rejected);
    EXPECT_EQ(history_of(store(), "T1").size(), 3u);  // a rejection adds no row

    const Trade before_delete = *store().get("T1", earlier);
    ASSERT_TRUE(store().remove("T1", "rest", "del-1"));
    const ItemResult recreated = one(trade("T1", 3, kToday - days{1}), "kafka", "trades/0/9");
    ASSERT_EQ(recreated.outcome, Outcome::Created);
    ASSERT_EQ(store().expire(kToday, "job"), 1);

    const auto history = history_of(store(), "T1");
    ASSERT_EQ(history.size(), 6u);
    EXPECT_THAT(actions(history),
                ElementsAre(AuditAction::Create, AuditAction::Update, AuditAction::Replace,
                            AuditAction::Delete, AuditAction::Create, AuditAction::Expire));
    expect_recorded_in_order(history);

    const std::optional<std::int64_t> none;
    EXPECT_EQ(history[0].previous_version, none);
    EXPECT_EQ(history[1].previous_version, 1);
    EXPECT_EQ(history[2].previous_version, 2);
    EXPECT_EQ(history[3].previous_version, 2);     // the version deleted
    EXPECT_EQ(history[4].previous_version, none);  // after a delete, nothing is stored
    EXPECT_EQ(history[5].previous_version, 3);

    // The accepted versions exactly as apply() stored them (with their last_updated).
    EXPECT_EQ(history[0].trade, *created.stored);
    EXPECT_EQ(history[1].trade, *updated.stored);
    EXPECT_EQ(history[2].trade, *replaced.stored);
    EXPECT_EQ(history[4].trade, *recreated.stored);
    EXPECT_EQ(history[2].trade.counter_party_id, "CP-2");
    EXPECT_EQ(history[2].trade.book_id, "B2");

    // The delete: the trade as it stood, recorded after it.
    Trade deleted = before_delete;
    deleted.last_updated = history[3].recorded_at;
    EXPECT_EQ(history[3].trade, deleted);
    EXPECT_EQ(history[3].source, "rest");
    EXPECT_EQ(history[3].reference, "del-1");

    // The expiry: the trade as marked, which is what the store now holds.
    Trade expired = *recreated.stored;
    expired.expired = true;
    expired.last_updated = history[5].recorded_at;
    EXPECT_EQ(history[5].trade, expired);
    EXPECT_EQ(store().get("T1", earlier), expired);
    EXPECT_EQ(history[5].source, "job");
    EXPECT_EQ(history[5].business_date, kToday);

    const std::pair<const char*, const char*> origins[] = {
        {"rest", "req-a"}, {"kafka", "trades/0/7"}, {"rest", "req-c"}};
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(history[i].source, origins[i].first) << i;
        EXPECT_EQ(history[i].reference, origins[i].second) << i;
        EXPECT_EQ(history[i].business_date, earlier) << i;
        EXPECT_FALSE(history[i].trade.expired) << i;
    }
    EXPECT_EQ(history[4].source, "kafka");
    EXPECT_EQ(history[4].reference, "trades/0/9");
    EXPECT_EQ(history[4].business_date, earlier);

    // Nothing of another trade, nothing for an unknown one, and it is all kept.
    apply_one(trade("T2", 1));
    EXPECT_EQ(history_of(store(), "T1"), history);
    EXPECT_THAT(history_of(store(), "nope"), IsEmpty());
    reopen();
    ASSERT_NE(store().trade_history(), nullptr);
    EXPECT_EQ(history_of(store(), "T1"), history);
}

// As of each version's recorded_at the trade is that version, and just before it the one
// before; before the first nothing; as of a delete, the DELETE (the trade was gone then).
TEST_P(StoreContractTest, AsOfEachRecordedAtGivesThatVersion) {
    ASSERT_NE(store().trade_history(), nullptr);
    TradeHistory& history = *store().trade_history();
    apply_one(trade("T1", 1));
    apply_one(trade("T1", 2));
    apply_one(trade("T1", 2, kToday + days{40}, "B2", "CP-2"));
    ASSERT_TRUE(store().remove("T1", "rest", "del-1"));
    apply_one(trade("T1", 3));
    apply_one(trade("T2", 1));
    const auto versions = history_of(store(), "T1");
    ASSERT_EQ(versions.size(), 5u);
    EXPECT_EQ(versions[3].action, AuditAction::Delete);
    for (std::size_t i = 0; i < versions.size(); ++i) {
        EXPECT_EQ(history.version_at("T1", versions[i].recorded_at), versions[i]) << i;
        const Timestamp just_before = versions[i].recorded_at - std::chrono::microseconds{1};
        if (i == 0) {
            EXPECT_EQ(history.version_at("T1", just_before), std::nullopt);
        } else {
            EXPECT_EQ(history.version_at("T1", just_before), versions[i - 1]) << i;
        }
    }
    const Timestamp later = versions.back().recorded_at + std::chrono::hours{24 * 365};
    EXPECT_EQ(history.version_at("T1", later), versions.back());
    EXPECT_EQ(history.version_at("nope", later), std::nullopt);
    EXPECT_EQ(history.version_at("T2", later)->trade.trade_id, "T2");
}

// The history is the trades' record: folding each trade's history (its last row; none when
// that is a DELETE) gives exactly what get() and list() return.
TEST_P(StoreContractTest, FoldingTheHistoryGivesTheStoredTrades) {
    ASSERT_NE(store().trade_history(), nullptr);
    const Date earlier = kToday - days{10};
    std::map<std::string, std::size_t> expected_rows;  // per id: accepted versions recorded
    std::int64_t offset = 0;
    const auto batch = [&](std::vector<std::pair<std::string, std::int64_t>> items,
                           Date maturity = kToday + days{30}) {
        std::vector<Candidate> candidates;
        for (auto& [id, version] : items) {
            candidates.push_back(
                candidate(trade(id, version, maturity, "B" + std::to_string(version % 3),
                                "CP-" + std::to_string(offset)),
                          "kafka", "trades/0/" + std::to_string(offset)));
            candidates.back().origin = {"trades", 0, offset++};
        }
        const auto results = apply(std::move(candidates), earlier);
        for (std::size_t i = 0; i < results.size(); ++i) {
            EXPECT_FALSE(results[i].skipped_as_replay);
            if (results[i].outcome != Outcome::Rejected) ++expected_rows[items[i].first];
        }
        return results;
    };
    const auto remove = [&](const std::string& id) {
        if (store().remove(id, "rest", "del-" + id)) ++expected_rows[id];
    };

    auto results = batch({{"A", 1}, {"B", 1}, {"A", 2}, {"C", 1}, {"A", 1}, {"B", 1}, {"A", 3}});
    EXPECT_EQ(results[4].outcome, Outcome::Rejected);
    EXPECT_EQ(results[5].outcome, Outcome::Replaced);
    results = batch({{"B", 0}, {"D", 1}, {"D", 2}, {"C", 3}, {"D", 2}, {"E", 1}});
    EXPECT_EQ(results[0].outcome, Outcome::Rejected);
    remove("B");
    remove("X");  // unknown: no row
    remove("E");
    results = batch({{"B", 1}, {"B", 2}, {"A", 3}, {"D", 1}, {"E", 2}, {"E", 3}, {"B", 4}});
    EXPECT_EQ(results[0].outcome, Outcome::Rejected);  // the tombstone
    EXPECT_EQ(results[1].outcome, Outcome::Created);
    EXPECT_EQ(results[3].outcome, Outcome::Rejected);
    remove("D");
    results = batch({{"F", 1}, {"G", 1}, {"F", 2}}, kToday - days{1});  // to be expired
    EXPECT_EQ(store().expire(kToday, "job"), 2);                        // F and G
    expected_rows["F"] += 1;
    expected_rows["G"] += 1;
    results = batch({{"G", 2}, {"C", 4}, {"D", 1}, {"D", 3}});  // G live again, D restored
    EXPECT_EQ(results[2].outcome, Outcome::Rejected);
    remove("C");
    results = batch({{"C", 4}, {"H", 1}});
    EXPECT_EQ(results[0].outcome, Outcome::Rejected);
    // A large batch (a store may write its rows in chunks): 75 versions of I, J and K
    // interleaved, every fifth one a rejected lower version.
    std::vector<std::pair<std::string, std::int64_t>> large;
    for (std::int64_t n = 1; n <= 75; ++n) {
        const std::string id(1, static_cast<char>('I' + n % 3));
        large.emplace_back(id, n % 5 == 0 ? 1 : n);
    }
    results = batch(large);
    EXPECT_EQ(std::count_if(results.begin(), results.end(),
                            [](const ItemResult& r) { return r.outcome == Outcome::Rejected; }),
              15);

    std::vector<Trade> folded;
    for (const std::string id : {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "X"}) {
        SCOPED_TRACE(id);
        const auto history = history_of(store(), id);
        EXPECT_EQ(history.size(), expected_rows[id]);
        expect_recorded_in_order(history);
        const auto got = store().get(id, earlier);  // nothing matured yet: expired as stored
        if (history.empty() || history.back().action == AuditAction::Delete) {
            EXPECT_FALSE(got);
            continue;
        }
        EXPECT_EQ(got, history.back().trade);
        folded.push_back(history.back().trade);
    }
    EXPECT_EQ(folded.size(), 10u);  // all but C (deleted) and X (never stored)
    EXPECT_EQ(store().list(0, 1000, earlier), folded);
}

// Only accepted decisions are versions: a rejected candidate (lower version, matured, or a
// replay of an applied offset) and a dead letter are audited and add none.
TEST_P(StoreContractTest, RejectionsAndDeadLettersAddNoVersion) {
    ASSERT_NE(store().trade_history(), nullptr);
    std::vector<Candidate> first;
    first.push_back(candidate(trade("R1", 2), "kafka", "trades/0/1"));
    first.back().origin = {"trades", 0, 1};
    apply(std::move(first));
    const auto before = history_of(store(), "R1");
    ASSERT_EQ(before.size(), 1u);

    Batch batch;
    batch.candidates.push_back(candidate(trade("R1", 1), "kafka", "trades/0/2"));  // lower
    batch.candidates.back().origin = {"trades", 0, 2};
    batch.candidates.push_back(  // matured
        candidate(trade("R1", 3, kToday - days{1}), "kafka", "trades/0/3"));
    batch.candidates.back().origin = {"trades", 0, 3};
    batch.candidates.push_back(candidate(trade("R2", 1, kToday - days{1}), "rest", "req"));
    AuditEntry dead;
    dead.trade_id = "R1";
    dead.action = AuditAction::ValidationFailed;
    dead.success = false;
    dead.reason_codes = {"MALFORMED_JSON", "DEAD_LETTERED"};
    dead.message = "not JSON";
    dead.source = "kafka";
    dead.reference = "trades/0/4";
    batch.audit_only.push_back(dead);
    const auto results = store().apply(batch, rules_, kToday);
    ASSERT_EQ(results.size(), 3u);
    for (const ItemResult& result : results) EXPECT_EQ(result.outcome, Outcome::Rejected);
    EXPECT_EQ(store().audit_count(std::string("R1")), 4);  // the version, 2 rejections, 1 dead
    EXPECT_EQ(store().audit_count(std::string("R2")), 1);

    EXPECT_EQ(history_of(store(), "R1"), before);
    EXPECT_THAT(history_of(store(), "R2"), IsEmpty());
    EXPECT_EQ(store().remove("R2", "rest", "del"), false);  // nothing to delete: no version
    EXPECT_EQ(store().expire(kToday, "job"), 0);            // nothing to expire: none
    EXPECT_EQ(history_of(store(), "R1"), before);
    EXPECT_THAT(history_of(store(), "R2"), IsEmpty());
}

TEST_P(StoreContractTest, HistoryPagesAndFiltersOnRecordedAt) {
    ASSERT_NE(store().trade_history(), nullptr);
    TradeHistory& history = *store().trade_history();
    for (std::int64_t version = 1; version <= 5; ++version) {
        ASSERT_EQ(apply_one(trade("P1", version)).outcome,
                  version == 1 ? Outcome::Created : Outcome::Updated);
        apply_one(trade("P2", version));
    }
    const auto all = history_of(store(), "P1");
    ASSERT_EQ(all.size(), 5u);
    expect_recorded_in_order(all);
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].trade.trade_id, "P1");
        EXPECT_EQ(all[i].trade.version, static_cast<std::int64_t>(i) + 1);
    }
    const auto slice = [&all](std::size_t first, std::size_t end) {
        return std::vector<HistoryRecord>(all.begin() + static_cast<std::ptrdiff_t>(first),
                                          all.begin() + static_cast<std::ptrdiff_t>(end));
    };
    const auto query = [](std::int64_t skip, std::int64_t limit,
                          std::optional<Timestamp> from = std::nullopt,
                          std::optional<Timestamp> to = std::nullopt) {
        return HistoryQuery{"P1", skip, limit, from, to};
    };

    HistoryQuery defaults;  // the default page holds them all
    defaults.trade_id = "P1";
    EXPECT_EQ(history.history(defaults), all);
    EXPECT_EQ(history.history(query(1, 2)), slice(1, 3));
    EXPECT_EQ(history.history(query(4, 10)), slice(4, 5));
    EXPECT_THAT(history.history(query(5, 10)), IsEmpty());
    EXPECT_THAT(history.history(query(0, 0)), IsEmpty());

    // from and to are inclusive.
    const Timestamp second = all[1].recorded_at;
    const Timestamp fourth = all[3].recorded_at;
    EXPECT_EQ(history.history(query(0, 100, second, fourth)), slice(1, 4));
    EXPECT_EQ(history.history(query(0, 100, second)), slice(1, 5));
    EXPECT_EQ(history.history(query(0, 100, std::nullopt, second)), slice(0, 2));
    EXPECT_EQ(history.history(query(0, 100, second + std::chrono::microseconds{1},
                                    fourth - std::chrono::microseconds{1})),
              slice(2, 3));
    EXPECT_EQ(history.history(query(1, 1, second, fourth)), slice(2, 3));  // paged in the range
    EXPECT_THAT(history.history(query(0, 100, fourth, second)), IsEmpty());
    EXPECT_THAT(history.history(query(0, 100, all[4].recorded_at + std::chrono::microseconds{1})),
                IsEmpty());
}

// Snapshots of all trades and of a book as of any instant are, per trade, its last history
// row recorded at or before it (none when that is a DELETE), the oracle folding each trade's
// own history. Trades move between books, one twice within a batch, one is deleted while in
// a book and comes back in another, one is expired: checked at every recorded_at, just before
// each, before everything and after, and again after reopening.
TEST_P(StoreContractTest, SnapshotsAsOfAnyInstantFoldEachTradesHistory) {
    ASSERT_NE(store().trade_history(), nullptr);
    const Date earlier = kToday - days{10};
    const auto maturity = kToday + days{30};
    std::int64_t offset = 0;
    const auto batch = [&](std::vector<Trade> trades) {
        std::vector<Candidate> candidates;
        for (Trade& t : trades) {
            candidates.push_back(
                candidate(std::move(t), "kafka", "trades/0/" + std::to_string(offset)));
            candidates.back().origin = {"trades", 0, offset++};
        }
        return apply(std::move(candidates), earlier);
    };
    batch({trade("A", 1, maturity, "B1"), trade("B", 1, maturity, "B1"),
           trade("C", 1, maturity, "B2"), trade("E", 1, kToday - days{1}, "B2")});
    batch({trade("A", 2, maturity, "B2"), trade("D", 1, maturity, "B1")});
    ASSERT_TRUE(store().remove("B", "rest", "del-B"));
    const auto moved = batch({trade("C", 1, maturity, "B1", "CP-9"), trade("A", 1, maturity, "B3"),
                              trade("B", 2, maturity, "B2")});
    ASSERT_EQ(moved[0].outcome, Outcome::Replaced);
    ASSERT_EQ(moved[1].outcome, Outcome::Rejected);  // adds no history
    ASSERT_EQ(moved[2].outcome, Outcome::Created);   // back, in another book
    batch({trade("A", 3, maturity, "B3"), trade("A", 4, maturity, "B1")});
    ASSERT_EQ(store().expire(kToday, "job"), 1);

    const std::vector<std::string> ids{"A", "B", "C", "D", "E"};
    std::map<std::string, std::vector<HistoryRecord>> histories;
    std::set<Timestamp> instants{Timestamp{}};
    for (const std::string& id : ids) {
        histories[id] = history_of(store(), id);
        for (const HistoryRecord& record : histories[id]) {
            instants.insert(record.recorded_at);
            instants.insert(record.recorded_at - std::chrono::microseconds{1});
        }
    }
    ASSERT_EQ(histories["A"].size(), 4u);
    ASSERT_EQ(histories["B"].size(), 3u);
    instants.insert(*instants.rbegin() + std::chrono::hours{24});
    const auto folded = [&](Timestamp at) {
        std::vector<HistoryRecord> out;
        for (const std::string& id : ids) {  // already in trade id order
            const HistoryRecord* last = nullptr;
            for (const HistoryRecord& record : histories[id]) {
                if (record.recorded_at <= at) last = &record;
            }
            if (last != nullptr && last->action != AuditAction::Delete) out.push_back(*last);
        }
        return out;
    };
    const auto in_book = [](std::vector<HistoryRecord> records, const std::string& book) {
        std::erase_if(records, [&](const HistoryRecord& r) { return r.trade.book_id != book; });
        return records;
    };
    const auto check = [&](TradeHistory& history) {
        for (const Timestamp at : instants) {
            const std::vector<HistoryRecord> expected = folded(at);
            const auto where = "as of " + std::to_string(at.time_since_epoch().count());
            EXPECT_EQ(history.trades_at(at, 0, 100), expected) << where;
            const std::size_t first = std::min<std::size_t>(1, expected.size());
            const std::size_t end = std::min<std::size_t>(3, expected.size());
            EXPECT_EQ(history.trades_at(at, 1, 2),
                      std::vector<HistoryRecord>(expected.begin() + first, expected.begin() + end))
                << where;
            for (const std::string book : {"B1", "B2", "B3", "nope"}) {
                EXPECT_EQ(history.book_at(book, at), in_book(expected, book)) << where << book;
            }
        }
    };
    check(*store().trade_history());
    // The oracle is not vacuous: just before B's delete, B1 held B and D, B2 held A, C and E.
    const auto ids_of = [](const std::vector<HistoryRecord>& records) {
        std::vector<std::string> out;
        for (const HistoryRecord& r : records) out.push_back(r.trade.trade_id);
        return out;
    };
    const Timestamp before_delete = histories["B"][1].recorded_at - std::chrono::microseconds{1};
    EXPECT_THAT(ids_of(store().trade_history()->book_at("B1", before_delete)),
                ElementsAre("B", "D"));
    EXPECT_THAT(ids_of(store().trade_history()->book_at("B2", before_delete)),
                ElementsAre("A", "C", "E"));
    reopen();
    ASSERT_NE(store().trade_history(), nullptr);
    check(*store().trade_history());
}

// A delete of a trade with no live row is refused as NOT_FOUND, audited as a failed DELETE
// (decided once, like any candidate), and leaves neither a tombstone nor a version.
TEST_P(StoreContractTest, DeleteOfAnUnknownTradeIsRefusedAsNotFoundAndAudited) {
    EXPECT_FALSE(store().remove("nope", "rest", "del"));
    const auto refused = all_audit();
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_EQ(refused[0].action, AuditAction::Delete);
    EXPECT_FALSE(refused[0].success);
    EXPECT_THAT(refused[0].reason_codes, ElementsAre("NOT_FOUND"));
    EXPECT_EQ(apply_one(trade("nope", 1)).outcome, Outcome::Created);  // no tombstone

    apply_one(trade("T1", 1));
    ASSERT_TRUE(store().remove("T1", "rest", "del"));
    EXPECT_FALSE(store().remove("T1", "rest", "del-again"));
    EXPECT_EQ(store().audit_count("T1"), 3);
    EXPECT_THAT(actions(history_of(store(), "T1")),
                ElementsAre(AuditAction::Create, AuditAction::Delete));
}

Candidate deletion(std::string id, std::string reference) {
    return delete_candidate(std::move(id), "kafka", std::move(reference));
}

// Deletes in a batch are decided in order with the versions around them: a delete, a
// version that the tombstone refuses, a higher one that restores, a second delete; a trade
// created and deleted in one batch; a delete of a stored trade that stays deleted. Each is
// audited and recorded in the history, and the tombstones keep the versions deleted.
TEST_P(StoreContractTest, DeletesInABatchAreDecidedInOrderWithTheVersionsAroundThem) {
    apply_one(trade("A", 3, kToday + days{30}, "B1"));
    apply_one(trade("C", 1));
    std::vector<Candidate> batch;
    batch.push_back(deletion("A", "d-1"));
    batch.push_back(candidate(trade("A", 3)));  // the deleted version: refused
    batch.push_back(candidate(trade("A", 4, kToday + days{30}, "B2")));
    batch.push_back(deletion("A", "d-2"));
    batch.push_back(candidate(trade("N", 1)));
    batch.push_back(deletion("N", "d-3"));
    batch.push_back(deletion("C", "d-4"));
    batch.push_back(deletion("C", "d-5"));  // gone already
    const auto results = apply(std::move(batch), kToday - days{2});
    ASSERT_EQ(results.size(), 8u);
    EXPECT_EQ(results[0].outcome, Outcome::Deleted);
    EXPECT_EQ(results[0].previous_version, 3);
    EXPECT_THAT(codes(results[1]), ElementsAre("DELETED_VERSION"));
    EXPECT_EQ(results[2].outcome, Outcome::Created);
    EXPECT_EQ(results[3].outcome, Outcome::Deleted);
    EXPECT_EQ(results[3].stored->version, 4);
    EXPECT_EQ(results[4].outcome, Outcome::Created);
    EXPECT_EQ(results[5].outcome, Outcome::Deleted);
    EXPECT_EQ(results[6].outcome, Outcome::Deleted);
    EXPECT_THAT(codes(results[7]), ElementsAre("NOT_FOUND"));

    for (const char* id : {"A", "N", "C"}) EXPECT_EQ(store().get(id, kToday), std::nullopt) << id;
    EXPECT_THAT(codes(apply_one(trade("A", 4))), ElementsAre("DELETED_VERSION"));
    EXPECT_THAT(codes(apply_one(trade("N", 1))), ElementsAre("DELETED_VERSION"));
    EXPECT_EQ(apply_one(trade("C", 2)).outcome, Outcome::Created);

    const auto a = history_of(store(), "A");
    EXPECT_THAT(actions(a), ElementsAre(AuditAction::Create, AuditAction::Delete,
                                        AuditAction::Create, AuditAction::Delete));
    expect_recorded_in_order(a);
    EXPECT_EQ(a[1].trade.version, 3);
    EXPECT_EQ(a[1].business_date, kToday - days{2});  // the batch's business date
    EXPECT_EQ(a[1].reference, "d-1");
    EXPECT_EQ(a[3].trade.book_id, "B2");
    EXPECT_EQ(a[3].trade, *results[3].stored);
    EXPECT_THAT(actions(history_of(store(), "N")),
                ElementsAre(AuditAction::Create, AuditAction::Delete));
    const auto d5 = store().audit(AuditQuery{std::string("C"), 0, 100});
    ASSERT_EQ(d5.size(), 4u);  // create, delete, refused delete, create
    EXPECT_EQ(d5[2].action, AuditAction::Delete);
    EXPECT_FALSE(d5[2].success);

    // As of just before the second delete, A was in B2 (it left it by being deleted).
    TradeHistory& history = *store().trade_history();
    const Timestamp before = a[3].recorded_at - std::chrono::microseconds{1};
    ASSERT_EQ(history.book_at("B2", before).size(), 1u);
    EXPECT_EQ(history.book_at("B2", before)[0].trade.trade_id, "A");
    EXPECT_THAT(history.book_at("B2", a[3].recorded_at), IsEmpty());
}

// ---- durability ----------------------------------------------------------------------------

TEST_P(StoreContractTest, ReopeningKeepsEverything) {
    std::vector<Candidate> batch;
    batch.push_back(candidate(trade("A", 1, kToday - days{1}), "kafka", "k-1"));
    batch.push_back(candidate(trade("B", 2, kToday + days{3}, "B2", "CP-7"), "kafka", "k-2"));
    batch.push_back(candidate(trade("C", 5), "kafka", "k-3"));
    batch.push_back(candidate(trade("D", 1, kToday - days{9}), "kafka", "k-4"));
    apply(std::move(batch), kToday - days{20}, {{"kafka", "trades", 4, 77}});
    ASSERT_TRUE(store().remove("C", "rest", "del-C"));
    ASSERT_EQ(store().expire(kToday, "job"), 2);

    const auto trades_before = store().list(0, 100, kToday);
    const auto audit_before = all_audit();
    const Statistics stats_before = store().statistics(kToday);

    reopen();
    reopen();  // opening an existing, current schema changes nothing

    EXPECT_EQ(store().list(0, 100, kToday), trades_before);
    const auto audit_after = all_audit();
    ASSERT_EQ(audit_after.size(), audit_before.size());
    for (std::size_t i = 0; i < audit_after.size(); ++i) {
        expect_same_entry(audit_after[i], audit_before[i]);
    }
    const Statistics stats_after = store().statistics(kToday);
    EXPECT_EQ(stats_after.total_trades, stats_before.total_trades);
    EXPECT_EQ(stats_after.active_trades, stats_before.active_trades);
    EXPECT_EQ(stats_after.expired_trades, stats_before.expired_trades);
    EXPECT_EQ(store().position("kafka", "trades", 4), 77);
    EXPECT_TRUE(store().get("A", kToday - days{20})->expired);  // the mark was kept

    // The tombstone survived, and new audit entries continue after the old ones.
    EXPECT_THAT(codes(apply_one(trade("C", 5))), ElementsAre("DELETED_VERSION"));
    const auto last = all_audit().back();
    EXPECT_GT(last.id, audit_before.back().id);
    EXPECT_EQ(store().expire(kToday, "job"), 0);
}

TEST_P(StoreContractTest, HealthyWhenOpen) {
    EXPECT_TRUE(store().healthy());
}

}  // namespace
std::vector<HistoryRecord> history_of(Store& store, const std::string& trade_id) {
    if (store.trade_history() == nullptr) {
        ADD_FAILURE() << "the store keeps no trade history";
        return {};
    }
    HistoryQuery query;
    query.trade_id = trade_id;
    query.limit = 1'000'000;
    return store.trade_history()->history(query);
}

}  // namespace tradestore::contract
