// The book-allowlist example (sdk/examples/book-allowlist), built out of tree against the
// installed SDK by the sdk_build_example test, loads with the kernel's plugin loader, takes
// its config section like the daemon gives it, and decides as its README says.
#include <gtest/gtest.h>
#include <tradestore/tradestore.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config_file.h"
#include "plugin_loader.h"
#include "setting_validation.h"

namespace tradestore::kernel {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kPlugin = SDK_EXAMPLE_PLUGIN;
constexpr Date kBusinessDate = 2024y / 6 / 3;

Trade trade_on(const std::string& trade_id, const std::string& book_id, std::int64_t version = 1) {
    Trade trade;
    trade.trade_id = trade_id;
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = book_id;
    trade.maturity_date = 2030y / 1 / 1;
    trade.created_date = kBusinessDate;
    return trade;
}

Decision decide_with(const Rule& rule, const Trade& incoming, const Trade* stored = nullptr) {
    const Rule* const rules[] = {&rule};
    return decide(rules, RuleInput{incoming, stored, std::nullopt, kBusinessDate});
}

Settings books(const std::string& list) {
    return Settings(std::map<std::string, std::string, std::less<>>{{"books", list}});
}

std::shared_ptr<Rule> allowing(const std::string& list) {
    return load_plugin(kPlugin)->create_rule(books(list));
}

TEST(BookAllowlistPlugin, LoadsAsARuleWithARequiredBookList) {
    auto plugin = load_plugin(kPlugin);
    const PluginDescriptor& descriptor = plugin->descriptor();
    EXPECT_EQ(descriptor.name, "book-allowlist");
    EXPECT_EQ(descriptor.kinds, static_cast<std::uint32_t>(kRulePlugin));
    ASSERT_EQ(descriptor.settings.size(), 1u);
    EXPECT_EQ(descriptor.settings[0].key, "books");
    EXPECT_EQ(descriptor.settings[0].type, SettingType::List);
    EXPECT_TRUE(descriptor.settings[0].required);
}

TEST(BookAllowlistPlugin, RejectsATradeOnABookNotInTheList) {
    auto rule = allowing("B1, B2");
    const Decision decision = decide_with(*rule, trade_on("T1", "B9"));
    EXPECT_EQ(decision.outcome, Outcome::Rejected);
    EXPECT_EQ(decision.reasons,
              (std::vector<Rejection>{
                  {"BOOK_NOT_ALLOWED", "Trade T1: book B9 is not in the allow-list"}}));
}

TEST(BookAllowlistPlugin, AcceptsTradesOnAllowedBooks) {
    auto rule = allowing("B1, B2");
    EXPECT_EQ(decide_with(*rule, trade_on("T1", "B1")).outcome, Outcome::Created);
    EXPECT_EQ(decide_with(*rule, trade_on("T2", "B2")).outcome, Outcome::Created);

    const Trade stored = trade_on("T3", "B9");  // a book may leave the list; a move back in is fine
    const Decision moved = decide_with(*rule, trade_on("T3", "B2", 2), &stored);
    EXPECT_EQ(moved.outcome, Outcome::Updated);
    EXPECT_TRUE(moved.reasons.empty());
}

TEST(BookAllowlistPlugin, BookIdsMatchExactly) {
    auto rule = allowing("B1, B2");
    for (const char* book : {"b1", "B", "B12", " B1", ""}) {
        EXPECT_EQ(decide_with(*rule, trade_on("T1", book)).outcome, Outcome::Rejected) << book;
    }
}

TEST(BookAllowlistPlugin, ItsReasonJoinsTheKernelGuards) {
    auto rule = allowing("B1");
    const Trade stored = trade_on("T1", "B1", 5);
    const Decision decision = decide_with(*rule, trade_on("T1", "B9", 4), &stored);
    EXPECT_EQ(decision.outcome, Outcome::Rejected);
    ASSERT_EQ(decision.reasons.size(), 2u);
    EXPECT_EQ(decision.reasons[0].code, "BOOK_NOT_ALLOWED");
    EXPECT_EQ(decision.reasons[1].code, reason::kLowerVersion);
}

TEST(BookAllowlistPlugin, TakesItsConfigSectionAsTheDaemonValidatesIt) {
    auto plugin = load_plugin(kPlugin);
    const ConfigFile config =
        parse_config("[plugin.book-allowlist]\nbooks = B1, B2\n", "test.ini",
                     [](const std::string&) { return std::optional<std::string>(); });
    std::vector<ConfigProblem> problems;
    const Settings settings = validate_settings(config.path, "plugin.book-allowlist",
                                                config.find("plugin.book-allowlist"),
                                                plugin->descriptor().settings, problems);
    ASSERT_TRUE(problems.empty()) << problems.front().to_string();

    auto rule = plugin->create_rule(settings);
    EXPECT_EQ(decide_with(*rule, trade_on("T1", "B2")).outcome, Outcome::Created);
    EXPECT_EQ(decide_with(*rule, trade_on("T1", "B9")).outcome, Outcome::Rejected);
}

TEST(BookAllowlistPlugin, ConfigWithoutBooksIsRefused) {
    auto plugin = load_plugin(kPlugin);
    std::vector<ConfigProblem> problems;
    validate_settings("test.ini", "plugin.book-allowlist", nullptr, plugin->descriptor().settings,
                      problems);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].key, "books");
    EXPECT_EQ(problems[0].problem, "required setting is missing");
}

TEST(BookAllowlistPlugin, AnEmptyListIsRefusedAtCreation) {
    auto plugin = load_plugin(kPlugin);
    EXPECT_THROW(plugin->create_rule(books(" , ")), std::invalid_argument);
}

}  // namespace
}  // namespace tradestore::kernel
