// The kernel's shape guard on identifiers.
#include <gtest/gtest.h>

#include "trade_shape.h"

namespace tradestore::kernel {
namespace {

TEST(TradeShape, CountsCodePointsNotBytes) {
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("\xC3\xA9t\xC3\xA9"), 3u);       // été
    EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);        // one emoji
    EXPECT_FALSE(utf8_length("\xC3"));                     // truncated
    EXPECT_FALSE(utf8_length("\xC0\xAF"));                 // overlong
    EXPECT_FALSE(utf8_length("\xED\xA0\x80"));             // surrogate
}

TEST(TradeShape, IdentifierLimitsAndControlCharacters) {
    EXPECT_TRUE(is_valid_identifier(std::string(50, 'x')));
    EXPECT_FALSE(is_valid_identifier(std::string(51, 'x')));
    std::string fifty_accents;
    for (int i = 0; i < 50; ++i) fifty_accents += "\xC3\xA9";
    EXPECT_TRUE(is_valid_identifier(fifty_accents));
    EXPECT_FALSE(is_valid_identifier(""));
    EXPECT_FALSE(is_valid_identifier(std::string("a\0b", 3)));
    EXPECT_FALSE(is_valid_identifier("a\tb"));
    EXPECT_FALSE(is_valid_identifier("a\x7f"));
    EXPECT_FALSE(is_valid_identifier("a\xC2\x85"));  // NEL, a C1 control
    EXPECT_TRUE(is_valid_identifier("O'Brien; DROP TABLE trades; --"));
}

TEST(TradeShape, TradeWithLowVersionIsRefused) {
    Trade trade;
    trade.trade_id = "T1";
    trade.counter_party_id = "CP";
    trade.book_id = "B";
    trade.version = 0;
    EXPECT_EQ(shape_problem(trade), "version must be at least 1");
    trade.version = 1;
    EXPECT_EQ(shape_problem(trade), std::nullopt);
}

}  // namespace
}  // namespace tradestore::kernel
