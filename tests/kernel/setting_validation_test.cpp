// Settings checked against a plugin's schema: unknown keys with hints, types, ranges, defaults.
#include "setting_validation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "config_file.h"

namespace tradestore::kernel {
namespace {

const std::vector<SettingSpec> kSchema = {
    {"port", SettingType::Int, "8080", false, "TCP port", 1, 65535},
    {"host", SettingType::String, "127.0.0.1", false, "address"},
    {"keep_alive", SettingType::Bool, "true", false, "keep-alive"},
    {"timeout", SettingType::Duration, "30s", false, "timeout"},
    {"path", SettingType::String, "", true, "file"},
};

struct Validated {
    Settings settings;
    std::vector<std::string> problems;
};

Validated validate(std::string_view text) {
    ConfigFile file = parse_config(text, "t.ini", [](const std::string&) { return std::nullopt; });
    std::vector<ConfigProblem> problems;
    Settings settings =
        validate_settings(file.path, "plugin.x", file.find("plugin.x"), kSchema, problems);
    Validated result{std::move(settings), {}};
    for (const auto& p : problems) result.problems.push_back(p.to_string());
    return result;
}

TEST(SettingValidation, DefaultsFillUnsetKeys) {
    auto v = validate("[plugin.x]\npath = a.db\n");
    ASSERT_TRUE(v.problems.empty());
    EXPECT_EQ(v.settings.get_int("port"), 8080);
    EXPECT_TRUE(v.settings.get_bool("keep_alive"));
    EXPECT_EQ(v.settings.get_duration("timeout"), std::chrono::seconds(30));
    EXPECT_EQ(v.settings.get_string("path"), "a.db");
}

TEST(SettingValidation, UnknownKeyGetsADidYouMeanHint) {
    auto v = validate("[plugin.x]\npath = a\nprot = 1\n");
    EXPECT_EQ(v.problems, std::vector<std::string>{
                              "t.ini:3: [plugin.x] prot: unknown setting (did you mean 'port'?)"});
}

TEST(SettingValidation, UnrelatedUnknownKeyListsTheValidOnes) {
    auto v = validate("[plugin.x]\npath = a\nzzzzzzzz = 1\n");
    ASSERT_EQ(v.problems.size(), 1u);
    EXPECT_NE(v.problems[0].find("valid settings: port host keep_alive timeout path"),
              std::string::npos);
}

TEST(SettingValidation, IllTypedAndOutOfRangeValuesAreNamed) {
    auto v = validate("[plugin.x]\npath = a\nport = 80a\nkeep_alive = maybe\ntimeout = 10\n");
    EXPECT_EQ(v.problems, (std::vector<std::string>{
                              "t.ini:3: [plugin.x] port: expected an integer, got '80a'",
                              "t.ini:4: [plugin.x] keep_alive: expected true or false, got 'maybe'",
                              "t.ini:5: [plugin.x] timeout: expected a duration such as 250ms, "
                              "30s, 5m or 1h, got '10'"}));
    auto range = validate("[plugin.x]\npath = a\nport = 70000\n");
    EXPECT_EQ(range.problems,
              std::vector<std::string>{
                  "t.ini:3: [plugin.x] port: must be between 1 and 65535, got 70000"});
}

TEST(SettingValidation, MissingRequiredKeyIsReported) {
    auto v = validate("[plugin.x]\nport = 1\n");
    EXPECT_EQ(v.problems,
              std::vector<std::string>{"t.ini:1: [plugin.x] path: required setting is missing"});
}

TEST(SettingValidation, AWildcardSpecTakesEveryKeyWithItsPrefix) {
    const std::vector<SettingSpec> schema = {
        {"brokers", SettingType::String, "localhost:9092", false, "brokers"},
        {"kafka.*", SettingType::Secret, "", false, "passed to librdkafka"},
    };
    ConfigFile file = parse_config(
        "[plugin.k]\nkafka.security.protocol = SASL_SSL\nkafka.sasl.password = s3cret\nkafka. = x\n"
        "kafkaesque = 1\n",
        "k.ini", [](const std::string&) { return std::nullopt; });
    std::vector<ConfigProblem> problems;
    Settings settings =
        validate_settings(file.path, "plugin.k", file.find("plugin.k"), schema, problems);
    EXPECT_EQ(settings.get_string("kafka.security.protocol"), "SASL_SSL");
    EXPECT_EQ(settings.get_string("kafka.sasl.password"), "s3cret");
    EXPECT_FALSE(settings.has("kafka.*"));
    ASSERT_EQ(problems.size(), 2u);  // "kafka." names no property; "kafkaesque" is not under it
    EXPECT_EQ(problems[0].key, "kafka.");
    EXPECT_EQ(problems[1].key, "kafkaesque");
    ASSERT_NE(find_setting_spec(schema, "kafka.x"), nullptr);
    EXPECT_EQ(find_setting_spec(schema, "kafka.x")->type, SettingType::Secret);
    EXPECT_EQ(find_setting_spec(schema, "kafka"), nullptr);
}

// Found by fuzz/config_fuzz.cpp (seed fuzz/corpus/config/env_multiline.ini): a value from
// an environment variable holding a PEM block made a config error three lines long.
TEST(SettingValidation, AProblemQuotingAMultiLineValueStaysOneLine) {
    const std::map<std::string, std::string> env = {
        {"PEM", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
        {"DB_PASSWORD", "s3cr=t ${NOT_EXPANDED}"}};
    const ConfigFile file = parse_config(
        "[kernel]\nplugin_dir = /usr/lib/tradestore/plugins\n"
        "plugins = trade-rules, sqlite-store, rest-source\n"
        "[plugin.rest-source]\nport = ${PEM}\nhost = ${DB_PASSWORD}\n",
        "t.ini", [&env](const std::string& name) -> std::optional<std::string> {
            const auto found = env.find(name);
            if (found == env.end()) return std::nullopt;
            return found->second;
        });
    std::vector<ConfigProblem> problems;
    validate_settings(file.path, "plugin.rest-source", file.find("plugin.rest-source"), kSchema,
                      problems);
    ASSERT_EQ(problems.size(), 2u);  // and kSchema's required path is missing
    EXPECT_EQ(problems[0].to_string(),
              "t.ini:5: [plugin.rest-source] port: expected an integer, got "
              "'-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----'");
}

TEST(SettingValidation, AProblemWritesControlCharactersEscaped) {
    const auto result = validate("[plugin.x]\npath = p\nport = \x1b[31m9\x7f\r1\t\n");
    ASSERT_EQ(result.problems.size(), 1u);
    EXPECT_EQ(result.problems[0],
              "t.ini:3: [plugin.x] port: expected an integer, got '\\x1b[31m9\\x7f\\r1'");
}

// A value read from a ${file:} secret never appears in a problem line: such lines go to stderr
// and, on SIGHUP, to the log before the new secrets are known to the log's masking.
TEST(SettingValidation, IllTypedSecretFileValuesAreNotEchoed) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tradestore-echo-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    const std::string file = (dir / "token").string();
    std::ofstream(file) << "hunter2-secret\n";
    auto v = validate("[plugin.x]\npath = a\nport = ${file:" + file +
                      "}\nkeep_alive = ${file:" + file + "}\ntimeout = ${file:" + file + "}\n");
    std::filesystem::remove_all(dir);
    ASSERT_EQ(v.problems.size(), 3u);
    for (const std::string& problem : v.problems) {
        EXPECT_EQ(problem.find("hunter2"), std::string::npos) << problem;
        EXPECT_NE(problem.find("(value from ${file:...})"), std::string::npos) << problem;
    }
}

TEST(ClosestMatch, FindsTyposButNotStrangers) {
    EXPECT_EQ(closest_match("sqlite-stor", {"sqlite-store", "rest-source"}), "sqlite-store");
    EXPECT_EQ(closest_match("kafka", {"sqlite-store", "rest-source"}), "");
}

}  // namespace
}  // namespace tradestore::kernel
