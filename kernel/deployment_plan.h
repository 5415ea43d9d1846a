// Turns a config file into a validated plan: the kernel's settings and, for each plugin in
// load order, the loaded library and its validated settings. Nothing is started here, which
// is what --check-config runs.
#pragma once

#include <tradestore/settings.h>
#include <tradestore/trade.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config_error.h"
#include "config_file.h"
#include "plugin_loader.h"

namespace tradestore::kernel {

struct KernelSettings {
    std::vector<std::filesystem::path> plugin_dirs;  // searched in order, no folder twice
    std::vector<std::string> plugins;
    std::string business_timezone;
    std::chrono::minutes business_day_rollover{0};
    std::optional<Date> business_date;
    std::string log_level;
    std::string log_file;
    std::string log_format = "plain";  // plain | json
    std::chrono::milliseconds shutdown_timeout{0};
    std::size_t group_commit_max_items = 1000;
    std::size_t ingest_writers = 1;
    std::size_t request_writers = 2;
    std::size_t backlog_share = 15;          // percent
    std::chrono::days history_retention{0};  // 0: keep every version forever
    std::vector<std::string> readiness;      // as written; resolved into PlannedPlugin

    bool operator==(const KernelSettings&) const = default;
};

struct PlannedPlugin {
    std::shared_ptr<LoadedPlugin> plugin;
    Settings settings;
    std::vector<std::string> file_secret_keys;  // keys whose value came from ${file:...}
    // A store or source that [kernel] readiness names: its being down fails /health/ready.
    bool gates_readiness = false;

    // A Secret in the plugin's schema, or a value read from a secret file.
    bool is_secret(std::string_view key) const;
};

struct DeploymentPlan {
    KernelSettings kernel;
    std::vector<PlannedPlugin> plugins;  // in the order of the `plugins` setting

    const PlannedPlugin& store() const;  // exactly one store plugin is guaranteed
};

const std::vector<SettingSpec>& kernel_schema();

// The folders a config's plugins are looked up in: [kernel] plugin_dir alone when set (the older
// form), else plugin_dirs (default: the packaged folder, then /usr/local/lib/tradestore/plugins).
// Reads the raw entries, so --list-plugins can use it on a config that does not validate.
std::vector<std::filesystem::path> plugin_folders(const ConfigFile& file,
                                                  std::vector<ConfigProblem>& problems);

// The files named <name>.so in the folders, in folder order (a folder that is missing has none).
std::vector<std::filesystem::path> find_plugin_files(
    const std::vector<std::filesystem::path>& folders, const std::string& name);

// The values of every Secret setting in the plan (for log redaction); empty ones left out.
std::vector<std::string> secret_values(const DeploymentPlan& plan);

// "[plugin.x] key = value" for every setting in the plan, Secret values shown as "***".
std::vector<std::string> describe_settings(const DeploymentPlan& plan);

// Opens the plugin file at a path: load_plugin in the daemon; the config fuzzer passes
// descriptors linked into it instead. Throws PluginLoadError.
using PluginOpener = std::function<std::shared_ptr<LoadedPlugin>(const std::filesystem::path&)>;

// Throws ConfigError listing every problem found.
DeploymentPlan plan_deployment(const ConfigFile& file, const PluginOpener& open = load_plugin);

}  // namespace tradestore::kernel
