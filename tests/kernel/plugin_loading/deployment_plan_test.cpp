// Whole-config validation against the kernel's and every plugin's schema, with the real
// default plugins from the build tree.
#include "deployment_plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config_error.h"
#include "config_file.h"

namespace tradestore::kernel {
namespace {

std::vector<std::string> plan_problems(const std::string& text) {
    try {
        ConfigFile file =
            parse_config(text, "d.ini", [](const std::string&) { return std::nullopt; });
        plan_deployment(file);
    } catch (const ConfigError& error) {
        std::vector<std::string> lines;
        for (const auto& p : error.problems()) lines.push_back(p.to_string());
        return lines;
    }
    return {};
}

const std::string kHeader = std::string("[kernel]\nplugin_dir = ") + PLUGIN_DIR + "\n";

TEST(DeploymentPlan, APluginsOwnCheckIsReportedWithFileLineAndKey) {
    auto problems = plan_problems(kHeader +
                                  "plugins = trade-rules, sqlite-store, rest-source\n"
                                  "[plugin.sqlite-store]\npath = /tmp/unused.db\n"
                                  "[plugin.rest-source]\nport = 8080\nhost = 0.0.0.0\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "d.ini:8: [plugin.rest-source] host: listening on non-loopback address 0.0.0.0 "
              "with authentication off; configure auth.tokens.<id> or auth.jwt.*, or set "
              "allow_anonymous = true to run open knowingly");
    EXPECT_TRUE(plan_problems(kHeader +
                              "plugins = trade-rules, sqlite-store, rest-source\n"
                              "[plugin.sqlite-store]\npath = /tmp/unused.db\n"
                              "[plugin.rest-source]\nhost = 0.0.0.0\nallow_anonymous = true\n")
                    .empty());
}

TEST(DeploymentPlan, ValuesFromSecretFilesAreMaskedLikeSecrets) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("tradestore-plan-secret-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(path) << "/srv/hidden-docs\n";
    const ConfigFile file = parse_config(kHeader +
                                             "plugins = trade-rules, sqlite-store, rest-source\n"
                                             "[plugin.sqlite-store]\npath = /tmp/unused.db\n"
                                             "[plugin.rest-source]\ndocs_dir = ${file:" +
                                             path.string() + "}\n",
                                         "d.ini", [](const std::string&) { return std::nullopt; });
    const DeploymentPlan plan = plan_deployment(file);
    std::filesystem::remove(path);
    const auto secrets = secret_values(plan);
    EXPECT_NE(std::find(secrets.begin(), secrets.end(), "/srv/hidden-docs"), secrets.end());
    bool masked = false;
    for (const std::string& line : describe_settings(plan)) {
        EXPECT_EQ(line.find("hidden-docs"), std::string::npos) << line;
        masked = masked || line == "[plugin.rest-source] docs_dir = ***";
    }
    EXPECT_TRUE(masked);
}

TEST(DeploymentPlan, ADeploymentWithoutAStoreIsRefused) {
    EXPECT_EQ(plan_problems(kHeader + "plugins = trade-rules, expiry-scheduler\n"),
              std::vector<std::string>{
                  "d.ini:3: [kernel] plugins: no store plugin is listed; list exactly one"});
}

TEST(DeploymentPlan, UnknownPluginIsNamedWithItsFile) {
    auto problems = plan_problems(kHeader + "plugins = trade-rules, no-such-plugin\n");
    ASSERT_FALSE(problems.empty());
    EXPECT_EQ(problems[0], std::string("d.ini:3: [kernel] plugins: plugin ") + PLUGIN_DIR +
                               "/no-such-plugin.so: file not found");
}

// A name is looked up in plugin_dir: one that would leave it (an absolute path, "..") is refused
// before any file is opened, even where such a file exists.
TEST(DeploymentPlan, APluginNameThatIsAPathIsRefused) {
    const std::string real = std::string(PLUGIN_DIR) + "/sqlite-store";
    for (const std::string& name : {real, std::string("../") + "sqlite-store", std::string(".x")}) {
        auto problems = plan_problems(kHeader + "plugins = " + name + ", trade-rules\n");
        ASSERT_FALSE(problems.empty()) << name;
        EXPECT_EQ(problems[0], "d.ini:3: [kernel] plugins: '" + name +
                                   "' is not a plugin name (letters, digits, '-', '_' and '.', "
                                   "not first): a plugin is found by name in plugin_dir")
            << name;
    }
}

TEST(DeploymentPlan, UnknownKeyInAPluginSectionGetsAHint) {
    auto problems = plan_problems(kHeader +
                                  "plugins = trade-rules, expiry-scheduler\n"
                                  "[plugin.expiry-scheduler]\nintervall = 5m\n");
    ASSERT_GE(problems.size(), 1u);
    EXPECT_EQ(
        problems[0],
        "d.ini:5: [plugin.expiry-scheduler] intervall: unknown setting (did you mean 'interval'?)");
}

TEST(DeploymentPlan, IllTypedPluginSettingIsNamed) {
    auto problems = plan_problems(kHeader +
                                  "plugins = trade-rules, expiry-scheduler\n"
                                  "[plugin.trade-rules]\ncheck_version = perhaps\n");
    ASSERT_GE(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "d.ini:5: [plugin.trade-rules] check_version: expected true or false, got 'perhaps'");
}

TEST(DeploymentPlan, SectionForAnUnlistedPluginIsRefusedWithAHint) {
    auto problems = plan_problems(kHeader +
                                  "plugins = trade-rules\n"
                                  "[plugin.trade-rule]\ncheck_version = true\n");
    ASSERT_GE(problems.size(), 1u);
    EXPECT_EQ(problems[0],
              "d.ini:4: [plugin.trade-rule] settings for plugin 'trade-rule', which is not in "
              "[kernel] plugins (did you mean 'plugin.trade-rules'?)");
}

TEST(DeploymentPlan, KernelSettingsAreValidated) {
    auto problems = plan_problems(kHeader +
                                  "plugins = trade-rules\nbusiness_timezone = Mars/Base\n"
                                  "business_day_rollover = 25:00\nlog_level = chatty\n");
    EXPECT_NE(
        std::find(
            problems.begin(), problems.end(),
            "d.ini:5: [kernel] business_day_rollover: expected HH:MM between 00:00 and 23:59"),
        problems.end());
    EXPECT_NE(std::find(problems.begin(), problems.end(),
                        "d.ini:4: [kernel] business_timezone: unknown time zone 'Mars/Base'"),
              problems.end());
    EXPECT_NE(std::find(problems.begin(), problems.end(),
                        "d.ini:6: [kernel] log_level: expected trace, debug, information, notice, "
                        "warning, error, critical or fatal, got 'chatty'"),
              problems.end());
}

TEST(DeploymentPlan, MissingKernelSettingsAreRequired) {
    auto problems = plan_problems("[kernel]\n");
    EXPECT_NE(std::find(problems.begin(), problems.end(),
                        "d.ini:1: [kernel] plugins: required setting is missing"),
              problems.end());
}

// Every plugin's own checks, with the real plugins: what would fail at start fails here, as one
// line naming the file, line and key (the same plan runs for --check-config and SIGHUP).
const std::string kSqlite = "plugins = sqlite-store\n[plugin.sqlite-store]\n";

TEST(PluginChecks, SqliteSynchronousOutsideItsChoicesIsNamed) {
    EXPECT_EQ(
        plan_problems(kHeader + kSqlite + "path = /tmp/unused.db\nsynchronous = fast\n"),
        std::vector<std::string>{
            "d.ini:6: [plugin.sqlite-store] synchronous: expected full or normal, got 'fast'"});
}

TEST(PluginChecks, SqlitePathWhoseFolderCannotBeCreatedIsNamed) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tradestore-plan-checks-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "a-file") << "x";
    const std::string path = (dir / "a-file" / "sub" / "t.db").string();
    EXPECT_EQ(
        plan_problems(kHeader + kSqlite + "path = " + path + "\n"),
        std::vector<std::string>{"d.ini:5: [plugin.sqlite-store] path: cannot create " + path +
                                 ": " + (dir / "a-file").string() + " is not a folder"});
    // /proc takes no new files, not even from root.
    const auto problems = plan_problems(kHeader + kSqlite + "path = /proc/tradestore/t.db\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(
        problems[0].starts_with("d.ini:5: [plugin.sqlite-store] path: cannot create "
                                "/proc/tradestore/t.db: folder /proc is not writable"))
        << problems[0];
    std::filesystem::remove_all(dir);
}

TEST(PluginChecks, SqlitePathCheckCreatesNeitherTheDatabaseNorItsFolder) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("tradestore-plan-probe-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    EXPECT_TRUE(
        plan_problems(kHeader + kSqlite + "path = " + (dir / "sub" / "t.db").string() + "\n")
            .empty());
    EXPECT_TRUE(std::filesystem::is_empty(dir)) << "the probe must leave nothing behind";
    std::filesystem::remove_all(dir);
}

TEST(PluginChecks, KernelLogFileThatCannotBeWrittenIsNamed) {
    const auto problems =
        plan_problems(kHeader + "log_file = /proc/tradestore/daemon.log\n" + kSqlite);
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(
        problems[0].starts_with("d.ini:3: [kernel] log_file: cannot create "
                                "/proc/tradestore/daemon.log: folder /proc is not "
                                "writable"))
        << problems[0];
}

const std::string kWithKafka =
    "plugins = sqlite-store, kafka-source\n[plugin.sqlite-store]\npath = /tmp/unused.db\n"
    "[plugin.kafka-source]\n";

TEST(PluginChecks, KafkaWithoutBrokersIsRefused) {
    EXPECT_EQ(plan_problems(kHeader + kWithKafka + "topics = trades\n"),
              std::vector<std::string>{
                  "d.ini:6: [plugin.kafka-source] brokers: required setting is missing"});
}

TEST(PluginChecks, KafkaPropertiesAreCheckedAsLibrdkafkaWouldWithoutABroker) {
    EXPECT_EQ(plan_problems(kHeader + kWithKafka +
                            "brokers = k:9092\nkafka.security.protocol = TLS\n"
                            "kafka.consumer.no.such.property = 1\n"
                            "kafka.ssl.ca.location = /nonexistent/ca.pem\n"),
              (std::vector<std::string>{
                  "d.ini:9: [plugin.kafka-source] kafka.consumer.no.such.property: unknown "
                  "librdkafka property",
                  "d.ini:8: [plugin.kafka-source] kafka.security.protocol: Invalid value \"TLS\" "
                  "for configuration property \"security.protocol\"",
                  "d.ini:10: [plugin.kafka-source] kafka.ssl.ca.location: ssl.ca.location: cannot "
                  "read /nonexistent/ca.pem: No such file or directory"}));
}

TEST(PluginChecks, AnItemOfKafkaPropertiesIsNamedInItsProblem) {
    EXPECT_EQ(
        plan_problems(kHeader + kWithKafka +
                      "brokers = k:9092\nkafka_properties = linger.ms=5, no.such.property=1\n"),
        std::vector<std::string>{"d.ini:8: [plugin.kafka-source] kafka_properties: "
                                 "no.such.property: unknown librdkafka property"});
}

TEST(PluginChecks, KafkaCrossSettingProblemsNameTheirKey) {
    EXPECT_EQ(plan_problems(kHeader + kWithKafka +
                            "brokers = k:9092\ntopics = trades\ndead_letter_topic = trades\n"),
              std::vector<std::string>{"d.ini:8: [plugin.kafka-source] topics: 'trades' is also "
                                       "the dead-letter, results or changes topic"});
}

const std::string kPostgres = "plugins = postgres-store\n[plugin.postgres-store]\n";

TEST(PluginChecks, PostgresUriIsParsedWithoutConnecting) {
    EXPECT_EQ(plan_problems(kHeader + kPostgres +
                            "uri = postgresql://db.invalid/t?sslmode=verify-fulll\n"),
              std::vector<std::string>{"d.ini:5: [plugin.postgres-store] uri: sslmode "
                                       "'verify-fulll' is not one of disable, allow, prefer, "
                                       "require, verify-ca or verify-full"});
    EXPECT_EQ(
        plan_problems(kHeader + kPostgres + "uri = postgresql://db.invalid/t?colour=blue\n"),
        std::vector<std::string>{"d.ini:5: [plugin.postgres-store] uri: not a libpq "
                                 "connection string: invalid URI query parameter: \"colour\""});
    EXPECT_EQ(
        plan_problems(kHeader + kPostgres +
                      "uri = host=db.invalid sslmode=verify-full sslrootcert=/nonexistent/ca\n"),
        std::vector<std::string>{"d.ini:5: [plugin.postgres-store] uri: sslrootcert: cannot "
                                 "read /nonexistent/ca: No such file or directory"});
}

TEST(PluginChecks, PostgresRetentionFloorNeedsTheSchemaOwner) {
    EXPECT_EQ(plan_problems(kHeader + kPostgres +
                            "uri = postgresql://db.invalid/t\naudit_min_retention_days = 7\n"),
              std::vector<std::string>{"d.ini:6: [plugin.postgres-store] audit_min_retention_days: "
                                       "needs schema_owner_uri (only the schema's owner can set "
                                       "the floor)"});
}

TEST(PluginChecks, EachReadReplicaUriIsParsedLikeTheUri) {
    EXPECT_EQ(
        plan_problems(kHeader + kPostgres +
                      "uri = postgresql://db.invalid/t\nread_uri = postgresql://r1.invalid/t, "
                      "postgresql://r2.invalid/t?sslmode=maybe\n"),
        std::vector<std::string>{"d.ini:6: [plugin.postgres-store] read_uri: sslmode "
                                 "'maybe' is not one of disable, allow, prefer, require, "
                                 "verify-ca or verify-full"});
    EXPECT_EQ(
        plan_problems(kHeader + kPostgres +
                      "uri = postgresql://db.invalid/t\nread_uri = postgresql://r1.invalid/t\n"
                      "max_replica_lag = soon\n"),
        std::vector<std::string>{"d.ini:7: [plugin.postgres-store] max_replica_lag: expected a "
                                 "duration such as 250ms, 30s, 5m or 1h, got 'soon'"});
}

const std::string kWithMongo =
    "plugins = sqlite-store, mongo-audit\n[plugin.sqlite-store]\npath = /tmp/unused.db\n"
    "[plugin.mongo-audit]\n";

TEST(PluginChecks, MongoUriTlsFilesAndDatabaseAreChecked) {
    const auto problems = plan_problems(kHeader + kWithMongo + "uri = http://m.invalid\n");
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_TRUE(problems[0].starts_with(
        "d.ini:7: [plugin.mongo-audit] uri: not a MongoDB connection string: "))
        << problems[0];
    EXPECT_EQ(plan_problems(kHeader + kWithMongo +
                            "uri = mongodb://m.invalid/?tls=true&tlsCAFile=/nonexistent/ca.pem\n"
                            "database = audit.v2\n"),
              (std::vector<std::string>{
                  "d.ini:7: [plugin.mongo-audit] uri: tlscafile: cannot read /nonexistent/ca.pem: "
                  "No such file or directory",
                  "d.ini:8: [plugin.mongo-audit] database: 'audit.v2' is not a MongoDB database "
                  "name (1 to 63 characters, none of / \\ . \" $ or space)"}));
}

// Two plugin folders, as the packaged one and /usr/local/lib/tradestore/plugins would be.
struct TwoPluginFolders {
    // One folder per test process: ctest runs these tests in parallel, other builds too.
    std::filesystem::path root = std::filesystem::temp_directory_path() /
                                 ("tradestore-plugin-dirs-" + std::to_string(::getpid()));
    std::filesystem::path first = root / "packaged";
    std::filesystem::path second = root / "local";

    TwoPluginFolders() {
        std::filesystem::remove_all(root);
        std::filesystem::create_directories(first);
        std::filesystem::create_directories(second);
    }
    ~TwoPluginFolders() { std::filesystem::remove_all(root); }
    void put(const std::filesystem::path& folder, const std::string& name) const {
        std::filesystem::copy_file(std::filesystem::path(PLUGIN_DIR) / (name + ".so"),
                                   folder / (name + ".so"));
    }
    std::string config(const std::string& plugins) const {
        return "[kernel]\nplugin_dirs = " + first.string() + ", " + second.string() +
               "\nplugins = " + plugins + "\n[plugin.sqlite-store]\npath = /tmp/unused.db\n";
    }
};

TEST(PluginFolders, PluginsAreFoundInEveryFolderInOrder) {
    const TwoPluginFolders dirs;
    dirs.put(dirs.first, "sqlite-store");
    dirs.put(dirs.second, "trade-rules");
    const ConfigFile file = parse_config(dirs.config("trade-rules, sqlite-store"), "d.ini",
                                         [](const std::string&) { return std::nullopt; });
    const DeploymentPlan plan = plan_deployment(file);
    ASSERT_EQ(plan.plugins.size(), 2u);
    EXPECT_EQ(plan.plugins[0].plugin->path(), dirs.second / "trade-rules.so");
    EXPECT_EQ(plan.plugins[1].plugin->path(), dirs.first / "sqlite-store.so");
}

TEST(PluginFolders, ANameInTwoFoldersIsRefusedNamingBoth) {
    const TwoPluginFolders dirs;
    dirs.put(dirs.first, "sqlite-store");
    dirs.put(dirs.first, "trade-rules");
    dirs.put(dirs.second, "trade-rules");
    EXPECT_EQ(plan_problems(dirs.config("trade-rules, sqlite-store")),
              std::vector<std::string>{"d.ini:3: [kernel] plugins: plugin 'trade-rules' is in more "
                                       "than one plugin folder: " +
                                       (dirs.first / "trade-rules.so").string() + " and " +
                                       (dirs.second / "trade-rules.so").string() +
                                       "; remove all but one"});
}

TEST(PluginFolders, ANameInNoFolderNamesThemAll) {
    const TwoPluginFolders dirs;
    dirs.put(dirs.first, "sqlite-store");
    EXPECT_EQ(plan_problems(dirs.config("trade-rules, sqlite-store")),
              std::vector<std::string>{"d.ini:3: [kernel] plugins: plugin 'trade-rules' not found "
                                       "in " +
                                       dirs.first.string() + " or " + dirs.second.string()});
}

TEST(PluginFolders, PluginDirAndPluginDirsTogetherAreRefused) {
    const auto problems =
        plan_problems(kHeader + "plugin_dirs = /a, /b\nplugins = trade-rules, sqlite-store\n");
    ASSERT_FALSE(problems.empty());
    EXPECT_EQ(problems[0],
              "d.ini:3: [kernel] plugin_dirs: set plugin_dirs or plugin_dir (line 2), "
              "not both");
}

}  // namespace
}  // namespace tradestore::kernel
