// The kernel's shape guard on identifiers.
#include "trade_shape.h"

#include <gtest/gtest.h>

#include <random>

namespace tradestore::kernel {
namespace {

TEST(TradeShape, CountsCodePointsNotBytes) {
    EXPECT_EQ(utf8_length("abc"), 3u);
    EXPECT_EQ(utf8_length("\xC3\xA9t\xC3\xA9"), 3u);  // été
    EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80"), 1u);   // one emoji
    EXPECT_FALSE(utf8_length("\xC3"));                // truncated
    EXPECT_FALSE(utf8_length("\xC0\xAF"));            // overlong
    EXPECT_FALSE(utf8_length("\xED\xA0\x80"));        // surrogate
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
    Candidate candidate;
    candidate.trade.trade_id = "T1";
    candidate.trade.counter_party_id = "CP";
    candidate.trade.book_id = "B";
    candidate.trade.version = 0;
    EXPECT_EQ(shape_problem(candidate), "version must be at least 1");
    candidate.trade.version = 1;
    EXPECT_EQ(shape_problem(candidate), std::nullopt);
}

// A delete names its trade and nothing more: only the id is checked.
TEST(TradeShape, ADeleteNeedsOnlyAValidTradeId) {
    Candidate deletion;
    deletion.deletes = true;
    deletion.trade.trade_id = "T1";
    EXPECT_EQ(shape_problem(deletion), std::nullopt);
    deletion.trade.trade_id = "a	b";
    EXPECT_EQ(shape_problem(deletion), "trade_id is not a valid identifier");
}

// What a store is handed in the fields the shape guard does not check (a dead letter's key).
bool storable(const std::string& text, std::size_t bound) {
    return utf8_length(text).has_value() && !has_control_characters(text) && text.size() <= bound;
}

TEST(StorableText, CleanTextWithinTheBoundIsKeptAsItIs) {
    EXPECT_EQ(storable_text("T-1", 200), "T-1");
    EXPECT_EQ(storable_text("\xC3\xA9t\xC3\xA9 a\\b", 200), "\xC3\xA9t\xC3\xA9 a\\b");
    EXPECT_EQ(storable_text("", 200), "");
    const std::string at_bound(200, 'a');
    EXPECT_EQ(storable_text(at_bound, 200), at_bound);
    std::string accents_at_bound;
    for (int i = 0; i < 100; ++i) accents_at_bound += "\xC3\xA9";
    EXPECT_EQ(storable_text(accents_at_bound, 200), accents_at_bound);
}

TEST(StorableText, BadBytesAreEscaped) {
    EXPECT_EQ(storable_text(std::string("a\0b", 3), 200), "a\\x00b");  // NUL
    EXPECT_EQ(storable_text("a\x80"
                            "b",
                            200),
              "a\\x80b");                                              // lone continuation
    EXPECT_EQ(storable_text("\xC0\xAF", 200), "\\xc0\\xaf");           // overlong '/'
    EXPECT_EQ(storable_text("\xED\xA0\x80", 200), "\\xed\\xa0\\x80");  // surrogate
    EXPECT_EQ(storable_text("x\xC3", 200), "x\\xc3");                  // truncated
    EXPECT_EQ(storable_text("a\tb\x7f", 200), "a\\x09b\\x7f");         // controls
    EXPECT_EQ(storable_text("a\xC2\x85", 200), "a\\xc2\\x85");         // C1 (NEL)
    EXPECT_EQ(storable_text("\xC3\xA9\x01", 200), "\xC3\xA9\\x01");    // é kept
    // In escaped text a backslash is doubled, so "\x00" typed out and a NUL differ.
    EXPECT_EQ(storable_text(std::string("\\\0", 2), 200), "\\\\\\x00");
}

TEST(StorableText, LongTextIsCutAndEndsWithAHashOfTheWhole) {
    const std::string key(8'000, 'k');
    const std::string kept = storable_text(key, 200);
    EXPECT_EQ(kept.size(), 200u);
    EXPECT_EQ(kept.substr(0, 180), std::string(180, 'k'));
    EXPECT_EQ(kept.substr(180, 4), "...#");
    EXPECT_EQ(kept.find_first_not_of("0123456789abcdef", 184), std::string::npos);
    EXPECT_EQ(storable_text(key, 200), kept);  // the same key is recorded the same way

    std::string other = key;
    other.back() = 'j';
    EXPECT_NE(storable_text(other, 200), kept);  // same prefix, different key

    const std::string one_past(201, 'a');
    EXPECT_EQ(storable_text(one_past, 200).size(), 200u);
    EXPECT_NE(storable_text(one_past, 200), std::string(200, 'a'));
}

TEST(StorableText, ACutNeverSplitsACharacterOrAnEscape) {
    std::string accents;
    for (int i = 0; i < 101; ++i) accents += "\xC3\xA9";  // 202 bytes
    const std::string cut_accents = storable_text(accents, 200);
    EXPECT_TRUE(storable(cut_accents, 200));
    EXPECT_EQ(cut_accents.substr(0, 180), accents.substr(0, 180));

    const std::string nuls(100, '\0');  // 400 bytes once escaped
    const std::string cut_nuls = storable_text(nuls, 200);
    EXPECT_TRUE(storable(cut_nuls, 200));
    const std::size_t prefix = cut_nuls.find("...#");
    ASSERT_NE(prefix, std::string::npos);
    EXPECT_EQ(prefix % 4, 0u);
    for (std::size_t at = 0; at < prefix; at += 4) EXPECT_EQ(cut_nuls.substr(at, 4), "\\x00");
}

TEST(StorableText, AnyBytesComeOutStorable) {
    std::mt19937 random(14);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<std::size_t> length(0, 600);
    for (int round = 0; round < 2'000; ++round) {
        std::string text(length(random), '\0');
        for (char& c : text) c = static_cast<char>(byte(random));
        EXPECT_TRUE(storable(storable_text(text, 200), 200)) << round;
    }
}

}  // namespace
}  // namespace tradestore::kernel
