// The loader refuses every broken plugin with a message naming the file and the reason, and
// never runs code from a library whose ABI block it has not checked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "plugin_loader.h"

namespace tradestore::kernel {
namespace {

namespace fs = std::filesystem;

class PluginLoading : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("tradestore-plugins-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Copies a fixture into the temp dir under the name the loader will look for.
    fs::path install(const std::string& fixture, const std::string& as) {
        const fs::path target = dir_ / (as + ".so");
        fs::copy_file(fs::path(FIXTURE_DIR) / (fixture + ".so"), target);
        return target;
    }

    std::string load_error(const fs::path& path) {
        try {
            load_plugin(path);
        } catch (const PluginLoadError& error) {
            return error.what();
        }
        return "";
    }

    fs::path dir_;
};

TEST_F(PluginLoading, LoadsAValidPluginAndReadsItsDescriptor) {
    auto plugin = load_plugin(install("fixture_valid", "fixture_valid"));
    EXPECT_EQ(plugin->descriptor().name, "fixture_valid");
    EXPECT_TRUE(plugin->has_kind(kRulePlugin));
    auto rule = plugin->create_rule(Settings{});
    ASSERT_NE(rule, nullptr);
}

TEST_F(PluginLoading, CreatedObjectsOutliveTheLoaderHandle) {
    std::shared_ptr<Rule> rule;
    {
        auto plugin = load_plugin(install("fixture_valid", "fixture_valid"));
        rule = plugin->create_rule(Settings{});
    }
    // The library is still mapped: calling into the object must work.
    Trade trade;
    std::vector<Rejection> rejections;
    rule->check(RuleInput{trade, nullptr, std::nullopt, Date{}}, rejections);
    EXPECT_TRUE(rejections.empty());
}

TEST_F(PluginLoading, MissingFileIsNamed) {
    const auto path = dir_ / "absent.so";
    EXPECT_EQ(load_error(path), "plugin " + path.string() + ": file not found");
}

TEST_F(PluginLoading, CorruptFileIsRefused) {
    const auto path = dir_ / "corrupt.so";
    std::ofstream(path) << "this is not an ELF file at all, just text";
    EXPECT_EQ(load_error(path), "plugin " + path.string() + ": not an ELF shared object");

    // A real ELF header followed by garbage: the section table points past the end.
    const auto truncated = dir_ / "truncated.so";
    {
        std::ifstream in(fs::path(FIXTURE_DIR) / "fixture_valid.so", std::ios::binary);
        std::string head(64, '\0');
        in.read(head.data(), 64);
        std::ofstream(truncated, std::ios::binary) << head << "garbage";
    }
    EXPECT_EQ(load_error(truncated),
              "plugin " + truncated.string() + ": corrupt ELF section table");
}

TEST_F(PluginLoading, AbiMismatchNamesTheFieldAndBothValues) {
    const auto path = install("fixture_wrong_abi", "fixture_wrong_abi");
    EXPECT_EQ(load_error(path), "plugin " + path.string() +
                                    ": incompatible ABI: sdk_abi_version differs: the daemon has " +
                                    std::to_string(kSdkAbiVersion) + ", the plugin has " +
                                    std::to_string(kSdkAbiVersion + 1));
}

TEST_F(PluginLoading, ForeignLibraryIsRefusedBeforeAnyOfItsCodeRuns) {
    const auto marker = dir_ / "marker";
    ::setenv("TRADESTORE_TEST_MARKER", marker.c_str(), 1);
    const auto path = install("fixture_foreign", "foreign");
    const std::string error = load_error(path);
    ::unsetenv("TRADESTORE_TEST_MARKER");
    EXPECT_NE(error.find("not a TradeStore plugin: no .tradestore_abi section"), std::string::npos)
        << error;
    EXPECT_FALSE(fs::exists(marker)) << "the foreign library's static initialiser ran";
}

TEST_F(PluginLoading, MissingDescriptorSymbolIsNamed) {
    const auto path = install("fixture_no_descriptor", "fixture_no_descriptor");
    EXPECT_EQ(load_error(path),
              "plugin " + path.string() + ": missing symbol tradestore_plugin_descriptor");
}

TEST_F(PluginLoading, UnresolvedDependencyFailsToLoadWithTheLinkerReason) {
    const auto path = install("fixture_unresolved", "fixture_unresolved");
    const std::string error = load_error(path);
    EXPECT_NE(error.find("cannot load:"), std::string::npos) << error;
}

TEST_F(PluginLoading, DescriptorNameMustMatchTheFile) {
    const auto path = install("fixture_valid", "renamed");
    EXPECT_EQ(load_error(path), "plugin " + path.string() +
                                    ": descriptor names the plugin 'fixture_valid' but the file "
                                    "is renamed.so");
}

TEST(AbiBlock, EveryFieldDifferenceIsNamed) {
    AbiBlock block = make_abi_block();
    block.sizeof_trade += 8;
    std::vector<unsigned char> bytes(sizeof(block));
    std::memcpy(bytes.data(), &block, sizeof(block));
    EXPECT_EQ(abi_mismatch(bytes).substr(0, 21), "sizeof_trade differs:");
    EXPECT_EQ(abi_mismatch(std::vector<unsigned char>(8)), "ABI block is too short (8 bytes)");
}

}  // namespace
}  // namespace tradestore::kernel
