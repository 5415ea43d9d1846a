// The rule contract: what every rule plugin must do, as GoogleTest tests a plugin runs on
// itself. Installed with the SDK (tradestore-dev) but apart from it, because it needs
// GoogleTest (Debian: libgtest-dev); link TradeStore::contract and GTest::gtest_main.
//
// In exactly one test file of the plugin, with the plugin's source compiled into the test:
//
//   #include <tradestore/contract/rule_contract.h>
//   TRADESTORE_RULE_CONTRACT(BookAllowlist, "books = B1, B2");
//
// The second argument is a working [plugin.<name>] section. The suite then checks, over a
// corpus of well-formed trades (ids, books and versions at their limits, live rows, tombstones,
// deletes, maturity dates on both sides of the business date), that:
//  - the descriptor declares a rule with a name, a version, unique setting keys and defaults
//    that pass its own schema;
//  - check() never throws and only appends (what was in the vector before stays);
//  - every rejection has a code in UPPER_SNAKE_CASE and a message;
//  - check() keeps no state: the same input gives the same rejections, whatever was asked
//    before, and so do four threads asking at once (rules run on every ingest writer).
#pragma once

#include <gtest/gtest.h>
#include <tradestore/testing.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace tradestore::contract {

// One question to a rule: an incoming trade, what is stored for its id, whether it is a delete.
struct RuleQuestion {
    Trade incoming;
    std::optional<Trade> row;
    std::optional<std::int64_t> deleted_version;
    bool deleting = false;
};

inline constexpr std::string_view kContractBusinessDate = "2026-06-15";

// The corpus: well-formed trades a rule may meet, each asked as a new trade, against a live
// row (lower, same and higher versions), against a tombstone, and as a delete.
inline std::vector<RuleQuestion> rule_questions() {
    using testing::trade;
    const std::vector<Trade> trades = {
        trade({.id = "T1"}),
        trade({.id = "T1", .version = 2, .book = "B2"}),
        trade({.id = "Z",
               .version = std::numeric_limits<std::int64_t>::max(),
               .counter_party = "CP-9",
               .book = "B9"}),
        trade({.id = std::string(50, 'x'),
               .counter_party = std::string(50, 'c'),
               .book = std::string(50, 'b')}),
        trade({.id = "\xC3\xA9t\xC3\xA9", .book = "\xE2\x82\xAC-book"}),  // UTF-8 identifiers
        trade({.id = "T-past", .maturity = "2026-06-14"}),   // before the business date
        trade({.id = "T-today", .maturity = "2026-06-15"}),  // on it
        trade({.id = "T-far", .maturity = "9999-12-31", .created = "0001-01-01"}),
    };
    std::vector<RuleQuestion> questions;
    for (const Trade& incoming : trades) {
        questions.push_back({incoming, std::nullopt, std::nullopt, false});
        for (const std::int64_t stored_version : {std::int64_t{1}, incoming.version}) {
            Trade row = incoming;
            row.version = stored_version;
            row.book_id = "B-stored";
            questions.push_back({incoming, row, std::nullopt, false});
        }
        questions.push_back({incoming, std::nullopt, incoming.version, false});
        questions.push_back({incoming, incoming, std::nullopt, true});
    }
    return questions;
}

inline std::vector<Rejection> ask(const Rule& rule, const RuleQuestion& question,
                                  std::vector<Rejection> rejections = {}) {
    rule.check(RuleInput{question.incoming, question.row ? &*question.row : nullptr,
                         question.deleted_version, testing::date(kContractBusinessDate),
                         question.deleting},
               rejections);
    return rejections;
}

inline bool is_upper_snake_case(std::string_view code) {
    if (code.empty() || code.front() < 'A' || code.front() > 'Z') return false;
    return std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
}

class RuleContract : public ::testing::Test {
  protected:
    // Set by TRADESTORE_RULE_CONTRACT.
    virtual std::string_view settings_text() const = 0;

    std::unique_ptr<Rule> make_rule() const {
        return testing::create_rule(testing::plugin_descriptor(), settings_text());
    }
};

}  // namespace tradestore::contract

// The contract's tests, for the plugin compiled into this test binary.
#define TRADESTORE_RULE_CONTRACT(Name, section_text)                                               \
    namespace {                                                                                    \
    class Name##RuleContract : public ::tradestore::contract::RuleContract {                       \
      protected:                                                                                   \
        std::string_view settings_text() const override { return section_text; }                   \
    };                                                                                             \
    TEST_F(Name##RuleContract, TheDescriptorDeclaresARule) {                                       \
        const ::tradestore::PluginDescriptor& d = ::tradestore::testing::plugin_descriptor();      \
        EXPECT_NE(d.kinds& ::tradestore::kRulePlugin, 0u);                                         \
        EXPECT_NE(d.create_rule, nullptr);                                                         \
        EXPECT_FALSE(d.name.empty());                                                              \
        EXPECT_FALSE(d.version.empty());                                                           \
        std::set<std::string> keys;                                                                \
        for (const ::tradestore::SettingSpec& spec : d.settings) {                                 \
            EXPECT_TRUE(keys.insert(spec.key).second) << "setting declared twice: " << spec.key;   \
            if (spec.default_value.empty()) continue;                                              \
            EXPECT_EQ(                                                                             \
                ::tradestore::setting_value_problem(spec, spec.default_value, spec.default_value), \
                "")                                                                                \
                << spec.key;                                                                       \
        }                                                                                          \
        EXPECT_NE(make_rule(), nullptr);                                                           \
    }                                                                                              \
    TEST_F(Name##RuleContract, CheckNeverThrowsAndOnlyAppends) {                                   \
        const auto rule = make_rule();                                                             \
        const ::tradestore::Rejection earlier{"EARLIER_RULE", "left by a rule before"};            \
        for (const auto& question : ::tradestore::contract::rule_questions()) {                    \
            std::vector<::tradestore::Rejection> rejections;                                       \
            EXPECT_NO_THROW(rejections = ::tradestore::contract::ask(*rule, question, {earlier}))  \
                << question.incoming.trade_id;                                                     \
            ASSERT_FALSE(rejections.empty());                                                      \
            EXPECT_EQ(rejections.front(), earlier) << question.incoming.trade_id;                  \
        }                                                                                          \
    }                                                                                              \
    TEST_F(Name##RuleContract, EveryRejectionHasACodeAndAMessage) {                                \
        const auto rule = make_rule();                                                             \
        for (const auto& question : ::tradestore::contract::rule_questions()) {                    \
            for (const auto& rejection : ::tradestore::contract::ask(*rule, question)) {           \
                EXPECT_TRUE(::tradestore::contract::is_upper_snake_case(rejection.code))           \
                    << "'" << rejection.code << "'";                                               \
                EXPECT_FALSE(rejection.message.empty()) << rejection.code;                         \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    TEST_F(Name##RuleContract, CheckKeepsNoState) {                                                \
        const auto rule = make_rule();                                                             \
        const auto questions = ::tradestore::contract::rule_questions();                           \
        std::vector<std::vector<::tradestore::Rejection>> forward;                                 \
        for (const auto& question : questions)                                                     \
            forward.push_back(::tradestore::contract::ask(*rule, question));                       \
        for (std::size_t i = questions.size(); i-- > 0;) {                                         \
            EXPECT_EQ(::tradestore::contract::ask(*rule, questions[i]), forward[i])                \
                << "asked again, after others: " << questions[i].incoming.trade_id;                \
            EXPECT_EQ(::tradestore::contract::ask(*make_rule(), questions[i]), forward[i])         \
                << "a fresh rule answers otherwise: " << questions[i].incoming.trade_id;           \
        }                                                                                          \
    }                                                                                              \
    TEST_F(Name##RuleContract, FourThreadsGetTheSameAnswers) {                                     \
        const auto rule = make_rule();                                                             \
        const auto questions = ::tradestore::contract::rule_questions();                           \
        std::vector<std::vector<::tradestore::Rejection>> expected;                                \
        for (const auto& question : questions)                                                     \
            expected.push_back(::tradestore::contract::ask(*rule, question));                      \
        std::vector<int> mismatches(4, 0);                                                         \
        std::vector<std::thread> threads;                                                          \
        for (std::size_t t = 0; t < 4; ++t) {                                                      \
            threads.emplace_back([&, t] {                                                          \
                for (int round = 0; round < 50; ++round) {                                         \
                    for (std::size_t i = 0; i < questions.size(); ++i) {                           \
                        if (::tradestore::contract::ask(*rule, questions[i]) != expected[i])       \
                            ++mismatches[t];                                                       \
                    }                                                                              \
                }                                                                                  \
            });                                                                                    \
        }                                                                                          \
        for (auto& thread : threads) thread.join();                                                \
        for (std::size_t t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;         \
    }                                                                                              \
    }
