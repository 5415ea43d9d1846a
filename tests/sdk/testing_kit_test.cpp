// The SDK test kit (tradestore/testing.h) decides as the daemon does: its Ledger gives, step for
// step, the SQLite store's results for the same random sequence of trades and deletes, and its
// settings check refuses and accepts what the kernel's config check does.
#include <gtest/gtest.h>
#include <tradestore/testing.h>

#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sqlite_environment.h"
#include "trade_rules.h"

namespace tradestore {
namespace {

using namespace tradestore::testing;

// A rule of the kind an author writes, beside the default trade rules.
class NoBookB9 final : public Rule {
  public:
    void check(const RuleInput& input, std::vector<Rejection>& rejections) const override {
        if (input.incoming.book_id == "B9")
            rejections.push_back({"NO_B9", "Trade " + input.incoming.trade_id + ": B9"});
    }
};

TEST(TestingKitLedger, DecidesEachStepAsTheSqliteStore) {
    const plugins::TradeRules trade_rules(true, true);
    const NoBookB9 no_b9;
    const std::vector<const Rule*> rules{&trade_rules, &no_b9};
    for (unsigned seed = 0; seed < 5; ++seed) {
        contract::SqliteEnvironment environment;
        const std::unique_ptr<Store> store = environment.create_store();
        store->open();
        Ledger ledger(rules);

        std::mt19937 random(seed);
        const auto pick = [&random](int n) { return int(random() % unsigned(n)); };
        for (int step = 0; step < 200; ++step) {
            const std::string id = "T" + std::to_string(pick(4));
            Batch batch;
            ItemResult expected;
            if (pick(8) == 0) {
                batch.candidates.push_back(delete_candidate(id, "test", ""));
                expected = ledger.remove(id);
            } else {
                const Trade incoming =
                    trade({.id = id,
                           .version = 1 + pick(4),
                           .book = pick(5) == 0 ? "B9" : "B1",
                           .maturity = pick(6) == 0 ? "2025-06-01" : "2030-01-01"});
                batch.candidates.push_back({incoming, "test", "", {}, false});
                expected = ledger.apply(incoming);
            }
            const ItemResult actual = store->apply(batch, rules, date(kBusinessDate)).front();
            const std::string where =
                "seed " + std::to_string(seed) + " step " + std::to_string(step) + " " + id;
            ASSERT_EQ(to_string(expected.outcome), to_string(actual.outcome)) << where;
            ASSERT_EQ(expected.reasons, actual.reasons) << where;
            ASSERT_EQ(expected.previous_version, actual.previous_version) << where;
            const std::optional<Trade> stored = store->get(id, date(kBusinessDate));
            ASSERT_EQ(ledger.find(id) != nullptr, stored.has_value()) << where;
            if (stored) {
                ASSERT_EQ(ledger.find(id)->version, stored->version) << where;
            }
        }
        store->close();
    }
}

std::vector<SettingProblem> port_needs_host(const Settings& settings) {
    if (settings.has("port") && !settings.has("host")) return {{"port", "needs host"}};
    return {};
}

PluginDescriptor fixture_descriptor() {
    PluginDescriptor descriptor;
    descriptor.name = "fixture";
    descriptor.kinds = kRulePlugin;
    descriptor.settings = {
        {"port", SettingType::Int, "", false, "", 1, 65535},
        {"host", SettingType::String, "", false, ""},
        {"strict", SettingType::Bool, "true", false, ""},
        {"timeout", SettingType::Duration, "5s", false, "", 0, 60'000},
        {"books", SettingType::List, "", true, ""},
        {"extra.*", SettingType::String, "", false, ""},
    };
    descriptor.check_settings = &port_needs_host;
    return descriptor;
}

std::string refusal(std::string_view text) {
    try {
        settings_from(fixture_descriptor(), text);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

TEST(TestingKitSettings, FillsDefaultsAndTakesWildcardKeys) {
    const Settings settings = settings_from(fixture_descriptor(),
                                            "[plugin.fixture]\n# comment\nbooks = B1, B2\n"
                                            "extra.one = x\n");
    EXPECT_EQ(settings.get_list("books"), (std::vector<std::string>{"B1", "B2"}));
    EXPECT_TRUE(settings.get_bool("strict"));
    EXPECT_EQ(settings.get_duration("timeout"), std::chrono::seconds{5});
    EXPECT_EQ(settings.get_string("extra.one"), "x");
    EXPECT_FALSE(settings.has("port"));
}

TEST(TestingKitSettings, RefusesAsTheConfigCheckDoes) {
    EXPECT_EQ(refusal("books = B1\nport = 70000\nstrict = maybe\ntimeout = 2m\nbookz = 1\n"),
              "fixture settings:\n"
              "line 2: port: must be between 1 and 65535, got 70000\n"
              "line 3: strict: expected true or false, got 'maybe'\n"
              "line 4: timeout: duration out of range\n"
              "line 5: bookz: unknown setting");
    EXPECT_EQ(refusal("port = 80"),
              "fixture settings:\nline 0: books: required setting is missing");
    EXPECT_EQ(refusal("books = B1\nbooks = B2"), "fixture settings:\nline 2: books: set twice");
    EXPECT_EQ(refusal("books"),
              "fixture settings:\nline 1: books: expected key = value\n"
              "line 0: books: required setting is missing");
    // The plugin's own check runs once every value is valid, and names the key's line.
    EXPECT_EQ(refusal("books = B1\n\nport = 80"), "fixture settings:\nline 3: port: needs host");
    EXPECT_EQ(refusal("books = B1\nport = 80\nhost = h"), "accepted");
}

TEST(TestingKitSettings, CreateRuleRefusesAPluginWithoutARule) {
    PluginDescriptor descriptor = fixture_descriptor();
    descriptor.kinds = kStorePlugin;
    EXPECT_THROW(create_rule(descriptor, "books = B1"), std::invalid_argument);
}

TEST(TestingKitDates, TakeOnlyRealCalendarDates) {
    EXPECT_EQ(format_date(date("2024-02-29")), "2024-02-29");
    for (const char* bad :
         {"2025-02-29", "2025-6-02", "0000-01-01", "2025-06-02T00", "", "abcd-ef-gh"})
        EXPECT_THROW(date(bad), std::invalid_argument) << bad;
    EXPECT_EQ(trade().maturity_date, date("2099-12-31"));
}

}  // namespace
}  // namespace tradestore
