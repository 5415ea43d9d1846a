// The INI reader: case-preserving keys, environment expansion and line-numbered errors.
#include "config_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "config_error.h"

namespace tradestore::kernel {
namespace {

ConfigFile parse(std::string_view text, std::map<std::string, std::string> env = {}) {
    return parse_config(text, "test.ini",
                        [env](const std::string& name) -> std::optional<std::string> {
                            auto it = env.find(name);
                            if (it == env.end()) return std::nullopt;
                            return it->second;
                        });
}

std::vector<std::string> problems_of(std::string_view text,
                                     std::map<std::string, std::string> env = {}) {
    try {
        parse(text, env);
    } catch (const ConfigError& error) {
        std::vector<std::string> lines;
        for (const auto& p : error.problems()) lines.push_back(p.to_string());
        return lines;
    }
    return {};
}

TEST(ConfigFile, ReadsSectionsKeysAndLinesKeepingCase) {
    auto file = parse("# comment\n[kernel]\nPlugin_Dir = /x \n; other\n\n[plugin.a]\nk=v\n");
    ASSERT_EQ(file.sections.size(), 2u);
    EXPECT_EQ(file.sections[0].name, "kernel");
    ASSERT_NE(file.sections[0].find("Plugin_Dir"), nullptr);
    EXPECT_EQ(file.sections[0].find("Plugin_Dir")->value, "/x");
    EXPECT_EQ(file.sections[0].find("Plugin_Dir")->line, 3);
    EXPECT_EQ(file.sections[0].find("plugin_dir"), nullptr);
    EXPECT_EQ(file.find("plugin.a")->find("k")->line, 7);
}

TEST(ConfigFile, ExpandsEnvironmentVariablesAndDefaults) {
    auto file =
        parse("[s]\na = ${HOME_DIR}/db\nb = ${UNSET:-fallback}\nc = $${literal}\nd = ${SET:-x}\n",
              {{"HOME_DIR", "/srv"}, {"SET", "y"}});
    const auto* s = file.find("s");
    EXPECT_EQ(s->find("a")->value, "/srv/db");
    EXPECT_EQ(s->find("b")->value, "fallback");
    EXPECT_EQ(s->find("c")->value, "${literal}");
    EXPECT_EQ(s->find("d")->value, "y");
}

TEST(ConfigFile, UnsetVariableNamesFileLineKeyAndVariable) {
    EXPECT_EQ(problems_of("[s]\n\npassword = ${DB_PASSWORD}\n"),
              std::vector<std::string>{
                  "test.ini:3: [s] password: environment variable DB_PASSWORD is not set"});
}

// A temp folder for secret files, removed at the end of the test.
struct SecretDir {
    std::filesystem::path path = std::filesystem::temp_directory_path() /
                                 ("tradestore-secrets-" + std::to_string(std::random_device{}()));
    SecretDir() { std::filesystem::create_directories(path); }
    ~SecretDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name, std::ios::binary) << content;
        return (path / name).string();
    }
};

TEST(ConfigFile, ReadsSecretFilesWithoutOneTrailingNewline) {
    SecretDir dir;
    const std::string token = dir.write("token", "s3cret\n");
    const std::string two = dir.write("two", "line\n\n");
    const std::string bare = dir.write("bare", "x y");
    auto file = parse("[s]\na = ${file:" + token + "}\nb = ${file:" + two +
                          "}\nc = pre-${file:" + bare + "}-post\nd = ${PLAIN}\n",
                      {{"PLAIN", "p"}});
    const auto* s = file.find("s");
    EXPECT_EQ(s->find("a")->value, "s3cret");
    EXPECT_EQ(s->find("b")->value, "line\n") << "only one trailing newline goes";
    EXPECT_EQ(s->find("c")->value, "pre-x y-post");
    EXPECT_TRUE(s->find("a")->secret);
    EXPECT_TRUE(s->find("c")->secret);
    EXPECT_FALSE(s->find("d")->secret) << "environment values are not marked";
}

TEST(ConfigFile, SecretFileProblemsNameFileLineKeyAndPath) {
    SecretDir dir;
    const std::string missing = (dir.path / "nope").string();
    EXPECT_EQ(
        problems_of("[s]\nk = ${file:" + missing + "}\n"),
        std::vector<std::string>{"test.ini:2: [s] k: secret file " + missing + " does not exist"});
    EXPECT_EQ(problems_of("[s]\nk = ${file:relative/token}\n"),
              std::vector<std::string>{
                  "test.ini:2: [s] k: ${file:relative/token} needs an absolute path"});
    EXPECT_EQ(problems_of("[s]\nk = ${file:" + dir.path.string() + "}\n"),
              std::vector<std::string>{"test.ini:2: [s] k: secret file " + dir.path.string() +
                                       " is not a regular file"});
}

TEST(ConfigFile, ASecretFileOverOneMebibyteIsRefusedNotRead) {
    SecretDir dir;
    const std::string big = dir.write("big", std::string(1024 * 1024 + 1, 'x'));
    const std::string limit = dir.write("limit", std::string(1024 * 1024, 'x'));
    EXPECT_EQ(problems_of("[s]\nk = ${file:" + big + "}\n"),
              std::vector<std::string>{"test.ini:2: [s] k: secret file " + big +
                                       " is larger than 1 MiB"});
    EXPECT_EQ(parse("[s]\nk = ${file:" + limit + "}\n", {}).find("s")->find("k")->value.size(),
              1024u * 1024u);
}

TEST(ConfigFile, SecretFilesComeFromTheGivenReader) {
    const SecretFileReader reader = [](const std::string& path,
                                       std::string& problem) -> std::optional<std::string> {
        if (path == "/given") return std::string("from reader");
        problem = "no " + path;
        return std::nullopt;
    };
    const ConfigFile file = parse_config(
        "[s]\nk = ${file:/given}\n", "t.ini", [](const std::string&) { return std::nullopt; },
        reader);
    EXPECT_EQ(file.find("s")->find("k")->value, "from reader");
    EXPECT_TRUE(file.find("s")->find("k")->secret);
    try {
        parse_config(
            "[s]\nk = ${file:/other}\n", "t.ini", [](const std::string&) { return std::nullopt; },
            reader);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("t.ini:2: [s] k: no /other"), std::string::npos)
            << error.what();
    }
}

TEST(ConfigFile, ReportsEverySyntaxProblemWithItsLine) {
    auto problems =
        problems_of("orphan = 1\n[s]\nno equals sign\n[bad section\n[s]\nk = 1\nk = 2\n");
    ASSERT_EQ(problems.size(), 5u);
    EXPECT_EQ(problems[0], "test.ini:1: orphan: key outside any [section]");
    EXPECT_EQ(problems[1], "test.ini:3: expected 'key = value'");
    EXPECT_EQ(problems[2], "test.ini:4: malformed section header");
    EXPECT_EQ(problems[3], "test.ini:5: [s] section repeated (first at line 2)");
    EXPECT_EQ(problems[4], "test.ini:7: [s] k: conflicting or redundant setting (first at line 6)");
}

TEST(ConfigFile, MissingFileIsOneLine) {
    try {
        read_config_file("/nonexistent/tradestore.ini");
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& error) {
        EXPECT_STREQ(error.what(), "/nonexistent/tradestore.ini: cannot read the file");
    }
}

}  // namespace
}  // namespace tradestore::kernel
