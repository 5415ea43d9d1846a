// The book-allowlist rule, tested with the SDK test kit (tradestore/testing.h): the rule alone,
// the rule behind the SDK's version guards, and a sequence of trades as a store applies them.
// book_allowlist.cpp is compiled into this test, so the descriptor is the plugin's own.
#include <gtest/gtest.h>
#include <tradestore/testing.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace tradestore;
using namespace tradestore::testing;
using Codes = std::vector<std::string>;

TEST(BookAllowlist, RejectsABookNotInTheList) {
    const auto rule = create_rule(plugin_descriptor(), "books = B1, B2");
    EXPECT_EQ(check(*rule, trade({.id = "T1", .book = "B9"})),
              (std::vector<Rejection>{
                  {"BOOK_NOT_ALLOWED", "Trade T1: book B9 is not in the allow-list"}}));
    EXPECT_TRUE(check(*rule, trade({.book = "B2"})).empty());
}

TEST(BookAllowlist, MatchesBookIdsExactly) {
    const auto rule = create_rule(plugin_descriptor(), "books = B1");
    for (const char* book : {"b1", "B", "B12", " B1"})
        EXPECT_EQ(codes(check(*rule, trade({.book = book}))), Codes{"BOOK_NOT_ALLOWED"}) << book;
}

TEST(BookAllowlist, JoinsTheSdkVersionGuard) {
    const auto rule = create_rule(plugin_descriptor(), "books = B1");
    const Decision decision =
        decide(*rule, trade({.version = 4, .book = "B9"}), {.row = trade({.version = 5})});
    EXPECT_EQ(decision.outcome, Outcome::Rejected);
    EXPECT_EQ(codes(decision), (Codes{"BOOK_NOT_ALLOWED", "LOWER_VERSION"}));
}

TEST(BookAllowlist, DecidesASequenceAsAStoreDoes) {
    const auto rule = create_rule(plugin_descriptor(), "books = B1, B2");
    Ledger ledger(*rule);
    EXPECT_EQ(ledger.apply(trade({.id = "T1", .book = "B1"})).outcome, Outcome::Created);
    EXPECT_EQ(ledger.apply(trade({.id = "T1", .version = 2, .book = "B9"})).outcome,
              Outcome::Rejected);
    ASSERT_NE(ledger.find("T1"), nullptr);
    EXPECT_EQ(ledger.find("T1")->book_id, "B1");  // the refused version left nothing
    EXPECT_EQ(ledger.apply(trade({.id = "T1", .version = 2, .book = "B2"})).outcome,
              Outcome::Updated);
    EXPECT_EQ(ledger.remove("T1").outcome, Outcome::Deleted);
    EXPECT_EQ(codes(ledger.apply(trade({.id = "T1", .version = 2}))), Codes{"DELETED_VERSION"});
}

TEST(BookAllowlist, AllowsDeletingATradeOnABookThatLeftTheList) {
    const auto rule = create_rule(plugin_descriptor(), "books = B1");
    EXPECT_TRUE(check_delete(*rule, trade({.book = "B9"})).empty());
}

TEST(BookAllowlist, SettingsAreCheckedAsTheDaemonChecksThem) {
    EXPECT_THROW(create_rule(plugin_descriptor(), ""), std::invalid_argument);  // books required
    EXPECT_THROW(create_rule(plugin_descriptor(), "books = B1\nbook = B2"),
                 std::invalid_argument);  // unknown key
    EXPECT_THROW(create_rule(plugin_descriptor(), "books = ,"), std::invalid_argument);  // empty
}

}  // namespace
