// SettingTable: one table gives a plugin's schema and fills its config, each default written
// once (in the spec).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tradestore/setting_table.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace tradestore {
namespace {

using ::testing::ElementsAre;

enum class Mode : unsigned char { Fast, Safe };

struct Sample {
    std::string host;
    std::uint16_t port = 0;
    bool verbose = false;
    std::chrono::seconds max_age{};
    std::vector<std::string> names;
    Mode mode = Mode::Fast;
    std::string kept = "as constructed";
};

const SettingTable<Sample>& table() {
    static const SettingTable<Sample> table =
        SettingTable<Sample>{}
            .bind(
                {"host", SettingType::String, "127.0.0.1", false, "Address"},
                [](Sample & s) -> auto& { return s.host; })
            .bind(
                {"port", SettingType::Int, "8080", false, "Port", 1, 65535},
                [](Sample & s) -> auto& { return s.port; })
            .bind(
                {"verbose", SettingType::Bool, "false", false, "Talk"},
                [](Sample & s) -> auto& { return s.verbose; })
            .bind(
                {"max_age", SettingType::Duration, "10m", false, "Cache"},
                [](Sample & s) -> auto& { return s.max_age; })
            .bind(
                {"names", SettingType::List, "a, b", false, "Names"},
                [](Sample & s) -> auto& { return s.names; })
            .bind_with({"mode", SettingType::String, "safe", false, "Mode"},
                       [](Sample& s, const std::string& key, const std::string& text) {
                           if (text != "fast" && text != "safe") {
                               throw std::invalid_argument(key + ": not a mode");
                           }
                           s.mode = text == "fast" ? Mode::Fast : Mode::Safe;
                       })
            .bind(
                {"kept", SettingType::String, "", false, "No default"},
                [](Sample & s) -> auto& { return s.kept; })
            .declare({"legacy", SettingType::Int, "", false, "Read by hand"});
    return table;
}

TEST(SettingTable, TheSpecsAreTheSchemaInOrder) {
    std::vector<std::string> keys;
    for (const SettingSpec& spec : table().specs()) keys.push_back(spec.key);
    EXPECT_THAT(
        keys, ElementsAre("host", "port", "verbose", "max_age", "names", "mode", "kept", "legacy"));
}

TEST(SettingTable, UnsetSettingsTakeTheSpecsDefaults) {
    const Sample sample = table().read(Settings{});
    EXPECT_EQ(sample.host, "127.0.0.1");
    EXPECT_EQ(sample.port, 8080);
    EXPECT_FALSE(sample.verbose);
    EXPECT_EQ(sample.max_age, std::chrono::minutes{10});
    EXPECT_THAT(sample.names, ElementsAre("a", "b"));
    EXPECT_EQ(sample.mode, Mode::Safe);
    EXPECT_EQ(sample.kept, "as constructed") << "no setting and no default: the field stays";
}

TEST(SettingTable, GivenSettingsFillTheirFields) {
    const Sample sample = table().read(Settings{{{"host", "0.0.0.0"},
                                                 {"port", "9090"},
                                                 {"verbose", "yes"},
                                                 {"max_age", "90s"},
                                                 {"names", "x"},
                                                 {"mode", "fast"},
                                                 {"kept", "set"}}});
    EXPECT_EQ(sample.host, "0.0.0.0");
    EXPECT_EQ(sample.port, 9090);
    EXPECT_TRUE(sample.verbose);
    EXPECT_EQ(sample.max_age, std::chrono::seconds{90});
    EXPECT_THAT(sample.names, ElementsAre("x"));
    EXPECT_EQ(sample.mode, Mode::Fast);
    EXPECT_EQ(sample.kept, "set");
}

TEST(SettingTable, AValueThatDoesNotParseNamesItsKey) {
    try {
        table().read(Settings{{{"port", "eighty"}}});
        FAIL() << "read a port that is not a number";
    } catch (const std::invalid_argument& error) {
        EXPECT_THAT(error.what(), ::testing::StartsWith("port: "));
    }
    EXPECT_THROW(table().read(Settings{{{"mode", "slow"}}}), std::invalid_argument);
}

}  // namespace
}  // namespace tradestore
