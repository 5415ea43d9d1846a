// The default trade rules and the SDK's decision at their boundaries.
#include "trade_rules.h"

#include <gtest/gtest.h>
#include <tradestore/decision.h>

namespace tradestore {
namespace {

using namespace std::chrono;

constexpr Date kToday = sys_days{year{2026} / 11 / 24};

Trade make_trade(std::string id, std::int64_t version, Date maturity) {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = "B1";
    trade.maturity_date = maturity;
    trade.created_date = kToday;
    return trade;
}

class TradeRulesTest : public ::testing::Test {
  protected:
    Decision decide_for(const Trade& incoming, const Trade* stored,
                        std::optional<std::int64_t> deleted = std::nullopt) {
        const Rule* chain[] = {&rules_};
        return decide(chain, RuleInput{incoming, stored, deleted, kToday});
    }
    std::vector<std::string> codes(const Decision& decision) {
        std::vector<std::string> result;
        for (const auto& r : decision.reasons) result.push_back(r.code);
        return result;
    }
    plugins::TradeRules rules_{true, true};
};

TEST_F(TradeRulesTest, MaturityTodayIsAccepted) {
    auto d = decide_for(make_trade("T1", 1, kToday), nullptr);
    EXPECT_EQ(d.outcome, Outcome::Created);
    EXPECT_TRUE(d.reasons.empty());
}

TEST_F(TradeRulesTest, MaturityYesterdayIsRejectedWithMessageNamingTheTrade) {
    auto d = decide_for(make_trade("T1", 1, kToday - days{1}), nullptr);
    EXPECT_EQ(d.outcome, Outcome::Rejected);
    ASSERT_EQ(codes(d), std::vector<std::string>{"MATURITY_IN_PAST"});
    EXPECT_EQ(d.reasons[0].message,
              "Trade T1: Maturity date 2026-11-23 is before the business date 2026-11-24");
}

TEST_F(TradeRulesTest, MaturityTomorrowIsAccepted) {
    EXPECT_EQ(decide_for(make_trade("T1", 1, kToday + days{1}), nullptr).outcome, Outcome::Created);
}

TEST_F(TradeRulesTest, EqualVersionReplaces) {
    Trade stored = make_trade("T1", 2, kToday);
    EXPECT_EQ(decide_for(make_trade("T1", 2, kToday), &stored).outcome, Outcome::Replaced);
}

TEST_F(TradeRulesTest, HigherVersionUpdates) {
    Trade stored = make_trade("T1", 2, kToday);
    EXPECT_EQ(decide_for(make_trade("T1", 3, kToday), &stored).outcome, Outcome::Updated);
}

TEST_F(TradeRulesTest, LowerVersionIsRejectedWithTheClassicMessage) {
    Trade stored = make_trade("T1", 2, kToday);
    auto d = decide_for(make_trade("T1", 1, kToday), &stored);
    EXPECT_EQ(d.outcome, Outcome::Rejected);
    ASSERT_EQ(codes(d), std::vector<std::string>{"LOWER_VERSION"});
    EXPECT_EQ(d.reasons[0].message, "Trade T1: Received version 1 is lower than current version 2");
}

TEST_F(TradeRulesTest, EveryFailedRuleIsReportedInRuleOrder) {
    Trade stored = make_trade("T1", 5, kToday);
    auto d = decide_for(make_trade("T1", 4, kToday - days{30}), &stored);
    EXPECT_EQ(d.outcome, Outcome::Rejected);
    EXPECT_EQ(codes(d), (std::vector<std::string>{"LOWER_VERSION", "MATURITY_IN_PAST"}));
}

TEST(DecisionGuards, LowerVersionIsRejectedEvenWithoutAnyRule) {
    Trade stored = make_trade("T1", 2, kToday);
    Trade incoming = make_trade("T1", 1, kToday);
    auto d = decide({}, RuleInput{incoming, &stored, std::nullopt, kToday});
    EXPECT_EQ(d.outcome, Outcome::Rejected);
    ASSERT_EQ(d.reasons.size(), 1u);
    EXPECT_EQ(d.reasons[0].code, "LOWER_VERSION");
}

TEST(DecisionGuards, DisabledVersionCheckStillCannotLetALowerVersionWin) {
    plugins::TradeRules maturity_only{false, true};
    const Rule* chain[] = {&maturity_only};
    Trade stored = make_trade("T1", 7, kToday);
    Trade incoming = make_trade("T1", 6, kToday);
    auto d = decide(chain, RuleInput{incoming, &stored, std::nullopt, kToday});
    EXPECT_EQ(d.outcome, Outcome::Rejected);
}

TEST_F(TradeRulesTest, DeletedTradeComesBackOnlyWithAHigherVersion) {
    EXPECT_EQ(decide_for(make_trade("T1", 3, kToday), nullptr, 3).outcome, Outcome::Rejected);
    EXPECT_EQ(codes(decide_for(make_trade("T1", 2, kToday), nullptr, 3)),
              std::vector<std::string>{"DELETED_VERSION"});
    EXPECT_EQ(decide_for(make_trade("T1", 4, kToday), nullptr, 3).outcome, Outcome::Created);
}

TEST(TradeExpiry, ReadsShowAMaturedTradeAsExpiredBeforeTheJobRuns) {
    Trade trade = make_trade("T1", 1, kToday - days{1});
    EXPECT_TRUE(is_expired(trade, kToday));
    trade.maturity_date = kToday;
    EXPECT_FALSE(is_expired(trade, kToday));
}

TEST(DateFormat, FormatsWithLeadingZeros) {
    EXPECT_EQ(format_date(sys_days{year{2020} / 5 / 20}), "2020-05-20");
    EXPECT_EQ(format_date(sys_days{year{999} / 1 / 2}), "0999-01-02");
}

}  // namespace
}  // namespace tradestore
