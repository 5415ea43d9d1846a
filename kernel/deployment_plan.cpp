#include "deployment_plan.h"

#include <tradestore/path_checks.h>

#include <algorithm>

#include "business_clock.h"
#include "config_error.h"
#include "setting_validation.h"

namespace tradestore::kernel {

namespace {

// A name that stays a file name in plugin_dir: "/x" or "../x" would load a file elsewhere.
bool is_plugin_name(std::string_view name) {
    if (name.empty() || name.front() == '.') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}
constexpr std::string_view kKernelSection = "kernel";

std::string joined(const std::vector<std::filesystem::path>& paths, std::string_view last) {
    std::string text;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (i > 0) text += i + 1 == paths.size() ? last : std::string_view(", ");
        text += paths[i].string();
    }
    return text;
}

// Why a plugin name did not lead to exactly one file in the plugin folders.
std::string not_one_file(const std::string& name, const std::vector<std::filesystem::path>& found,
                         const std::vector<std::filesystem::path>& folders) {
    if (found.empty()) return "plugin '" + name + "' not found in " + joined(folders, " or ");
    return "plugin '" + name + "' is in more than one plugin folder: " + joined(found, " and ") +
           "; remove all but one";
}
constexpr std::string_view kPluginSectionPrefix = "plugin.";
}  // namespace

const std::vector<SettingSpec>& kernel_schema() {
    static const std::vector<SettingSpec> schema = {
        {"plugin_dir", SettingType::String, "", false,
         "The one folder holding the plugin .so files (the older form of plugin_dirs; set one "
         "or the other)"},
        {"plugin_dirs", SettingType::List,
         TRADESTORE_PACKAGED_PLUGIN_DIR ", /usr/local/lib/tradestore/plugins", false,
         "Folders searched for plugins, in order: the packaged one, then one for third-party "
         "plugins outside the package manager's; a plugin found in two is a config error"},
        {"plugins", SettingType::List, "", true,
         "Plugins to load, comma-separated; rules run in this order"},
        {"business_timezone", SettingType::String, "UTC", false,
         "IANA time zone that defines the business date, e.g. America/New_York"},
        {"business_day_rollover", SettingType::String, "00:00", false,
         "Local time (HH:MM) at which the business day turns, e.g. 17:00"},
        {"business_date", SettingType::String, "", false,
         "Fix the business date (YYYY-MM-DD) instead of following the clock; for tests"},
        {"log_level",
         SettingType::String,
         "information",
         false,
         "Least severe entry logged",
         INT64_MIN,
         INT64_MAX,
         {"trace", "debug", "information", "notice", "warning", "error", "critical", "fatal"}},
        {"log_file", SettingType::String, "", false, "Log to this file instead of the console"},
        {"log_format",
         SettingType::String,
         "plain",
         false,
         "plain (one text line per entry) or json (one JSON object per line)",
         INT64_MIN,
         INT64_MAX,
         {"plain", "json"}},
        {"shutdown_timeout", SettingType::Duration, "30s", false,
         "How long a stop waits for in-flight requests to drain"},
        {"group_commit_max_items", SettingType::Int, "1000", false,
         "Most trades coalesced into one store transaction", 1, 100000},
        {"ingest_writers", SettingType::Int, "4", false,
         "Threads applying batches to the store concurrently (a Kafka backlog uses at most all "
         "but one, one batch per partition at a time)",
         1, 64},
        {"request_writers", SettingType::Int, "2", false,
         "Most of the ingest_writers applying requests (REST) at once: one group commits while "
         "the next gathers; more make smaller groups, each paying a transaction's fixed cost",
         1, 64},
        {"backlog_share", SettingType::Int, "15", false,
         "While requests (REST writes) keep arriving, the most of the time (percent) a backlog "
         "(Kafka) may apply batches; the rest is left to the requests and the reads beside them",
         1, 100},
        {"readiness", SettingType::List, "store, rest", false,
         "What must be up for GET /health/ready to answer 200: store (the store plugin) and "
         "sources, each by plugin name or without its -source suffix (rest, kafka); the rest "
         "still show in /health and the metrics"},
        {"history_retention_days", SettingType::Int, "0", false,
         "Versions older than this many days are pruned hourly, each trade keeping its last "
         "version before the cut-off (as-of reads within the window are unchanged); PostgreSQL's "
         "audit_min_retention_days floor still applies; 0: keep every version",
         0, 36500},
    };
    return schema;
}

std::vector<std::filesystem::path> plugin_folders(const ConfigFile& file,
                                                  std::vector<ConfigProblem>& problems) {
    const ConfigSection* section = file.find(kKernelSection);
    const ConfigEntry* dir = section ? section->find("plugin_dir") : nullptr;
    const ConfigEntry* dirs = section ? section->find("plugin_dirs") : nullptr;
    if (dir != nullptr && dirs != nullptr) {
        problems.push_back(
            {file.path, dirs->line, std::string(kKernelSection), "plugin_dirs",
             "set plugin_dirs or plugin_dir (line " + std::to_string(dir->line) + "), not both"});
    }
    if (dir != nullptr) return {dir->value};
    const std::string text = dirs != nullptr
                                 ? dirs->value
                                 : find_setting_spec(kernel_schema(), "plugin_dirs")->default_value;
    std::vector<std::filesystem::path> folders;
    for (const std::string& item : setting_parse::list(text)) {
        const std::filesystem::path folder = std::filesystem::path(item).lexically_normal();
        if (std::find(folders.begin(), folders.end(), folder) == folders.end())
            folders.push_back(folder);
    }
    return folders;
}

std::vector<std::filesystem::path> find_plugin_files(
    const std::vector<std::filesystem::path>& folders, const std::string& name) {
    std::vector<std::filesystem::path> found;
    for (const auto& folder : folders) {
        std::error_code error;
        const std::filesystem::path file = plugin_path(folder, name);
        if (std::filesystem::exists(file, error)) found.push_back(file);
    }
    return found;
}

bool PlannedPlugin::is_secret(std::string_view key) const {
    if (std::find(file_secret_keys.begin(), file_secret_keys.end(), key) != file_secret_keys.end())
        return true;
    const SettingSpec* spec = find_setting_spec(plugin->descriptor().settings, key);
    return spec != nullptr && spec->type == SettingType::Secret;
}

std::vector<std::string> secret_values(const DeploymentPlan& plan) {
    std::vector<std::string> secrets;
    for (const auto& planned : plan.plugins) {
        for (const auto& [key, value] : planned.settings.values()) {
            if (planned.is_secret(key) && !value.empty()) secrets.push_back(value);
        }
    }
    return secrets;
}

std::vector<std::string> describe_settings(const DeploymentPlan& plan) {
    std::vector<std::string> lines;
    for (const auto& planned : plan.plugins) {
        const PluginDescriptor& descriptor = planned.plugin->descriptor();
        for (const auto& [key, value] : planned.settings.values()) {
            lines.push_back("[plugin." + descriptor.name + "] " + key + " = " +
                            (planned.is_secret(key) ? std::string("***") : value));
        }
    }
    return lines;
}

const PlannedPlugin& DeploymentPlan::store() const {
    for (const auto& planned : plugins)
        if (planned.plugin->has_kind(kStorePlugin)) return planned;
    throw std::logic_error("deployment plan without a store");
}

namespace {

KernelSettings read_kernel_settings(const ConfigFile& file, std::vector<ConfigProblem>& problems) {
    const std::string section_name(kKernelSection);
    const ConfigSection* section = file.find(kKernelSection);
    Settings settings =
        validate_settings(file.path, section_name, section, kernel_schema(), problems);
    const auto line_of = [&](std::string_view key) {
        const ConfigEntry* entry = section ? section->find(key) : nullptr;
        return entry ? entry->line : 0;
    };
    KernelSettings kernel;
    kernel.plugin_dirs = plugin_folders(file, problems);
    if (settings.has("plugins")) kernel.plugins = settings.get_list("plugins");
    kernel.business_timezone = settings.get_string("business_timezone");
    if (auto rollover = parse_time_of_day(settings.get_string("business_day_rollover"))) {
        kernel.business_day_rollover = *rollover;
    } else {
        problems.push_back({file.path, line_of("business_day_rollover"), section_name,
                            "business_day_rollover", "expected HH:MM between 00:00 and 23:59"});
    }
    if (settings.has("business_date")) {
        kernel.business_date = parse_date(settings.get_string("business_date"));
        if (!kernel.business_date)
            problems.push_back({file.path, line_of("business_date"), section_name, "business_date",
                                "expected a real date as YYYY-MM-DD"});
    }
    try {
        ZonedBusinessClock probe(kernel.business_timezone, std::chrono::minutes{0});
    } catch (const std::exception& error) {
        problems.push_back({file.path, line_of("business_timezone"), section_name,
                            "business_timezone", error.what()});
    }
    kernel.log_level = settings.get_string("log_level");
    if (settings.has("log_file")) {
        kernel.log_file = settings.get_string("log_file");
        if (std::string problem = file_write_problem(kernel.log_file); !problem.empty())
            problems.push_back({file.path, line_of("log_file"), section_name, "log_file", problem});
    }
    kernel.log_format = settings.get_string("log_format");
    kernel.shutdown_timeout = settings.get_duration("shutdown_timeout");
    kernel.group_commit_max_items =
        static_cast<std::size_t>(settings.get_int("group_commit_max_items"));
    kernel.ingest_writers = static_cast<std::size_t>(settings.get_int("ingest_writers"));
    kernel.request_writers = static_cast<std::size_t>(settings.get_int("request_writers"));
    kernel.backlog_share = static_cast<std::size_t>(settings.get_int("backlog_share"));
    kernel.history_retention = std::chrono::days{settings.get_int("history_retention_days")};
    kernel.readiness = settings.get_list("readiness");
    return kernel;
}

// "rest" and "rest-source" name the rest-source plugin; "store" names whichever store is listed.
bool readiness_names(std::string_view item, const PluginDescriptor& plugin) {
    if (item == plugin.name) return true;
    if ((plugin.kinds & kStorePlugin) != 0 && item == "store") return true;
    return (plugin.kinds & kSourcePlugin) != 0 && plugin.name == std::string(item) + "-source";
}

// Marks the planned plugins [kernel] readiness names. An item naming no listed store or source
// is a mistake when the operator wrote it; the default's "rest" simply has nothing to gate in
// a deployment without rest-source.
void resolve_readiness(const ConfigFile& file, DeploymentPlan& plan,
                       std::vector<ConfigProblem>& problems) {
    const ConfigSection* section = file.find(kKernelSection);
    const ConfigEntry* entry = section ? section->find("readiness") : nullptr;
    for (const std::string& item : plan.kernel.readiness) {
        bool found = false;
        for (PlannedPlugin& planned : plan.plugins) {
            const PluginDescriptor& descriptor = planned.plugin->descriptor();
            if ((descriptor.kinds & (kStorePlugin | kSourcePlugin)) == 0) continue;
            if (!readiness_names(item, descriptor)) continue;
            planned.gates_readiness = true;
            found = true;
        }
        if (!found && entry != nullptr)
            problems.push_back({file.path, entry->line, std::string(kKernelSection), "readiness",
                                "'" + item + "' names no listed store or source plugin"});
    }
}

}  // namespace

DeploymentPlan plan_deployment(const ConfigFile& file, const PluginOpener& open) {
    std::vector<ConfigProblem> problems;
    DeploymentPlan plan;
    plan.kernel = read_kernel_settings(file, problems);

    const ConfigSection* kernel_section = file.find(kKernelSection);
    const ConfigEntry* plugins_entry = kernel_section ? kernel_section->find("plugins") : nullptr;
    const int plugins_line = plugins_entry ? plugins_entry->line : 0;
    const std::string kernel_name(kKernelSection);

    // Every section is either [kernel] or [plugin.<a plugin that is loaded>].
    for (const auto& section : file.sections) {
        if (section.name == kKernelSection) continue;
        if (!section.name.starts_with(kPluginSectionPrefix)) {
            problems.push_back({file.path, section.line, section.name, "",
                                "unknown section; expected [kernel] or [plugin.<name>]"});
            continue;
        }
        const std::string name = section.name.substr(kPluginSectionPrefix.size());
        if (std::find(plan.kernel.plugins.begin(), plan.kernel.plugins.end(), name) ==
            plan.kernel.plugins.end()) {
            std::string problem =
                "settings for plugin '" + name + "', which is not in [kernel] plugins";
            if (auto hint = closest_match(name, plan.kernel.plugins); !hint.empty())
                problem += " (did you mean 'plugin." + hint + "'?)";
            problems.push_back({file.path, section.line, section.name, "", problem});
        }
    }

    std::vector<std::string> seen;
    for (const auto& name : plan.kernel.plugins) {
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
            problems.push_back({file.path, plugins_line, kernel_name, "plugins",
                                "plugin '" + name + "' is listed twice"});
            continue;
        }
        seen.push_back(name);
        if (!is_plugin_name(name)) {
            problems.push_back(
                {file.path, plugins_line, kernel_name, "plugins",
                 "'" + name +
                     "' is not a plugin name (letters, digits, '-', '_' "
                     "and '.', not first): a plugin is found by name in plugin_dir"});
            continue;
        }
        std::shared_ptr<LoadedPlugin> plugin;
        std::filesystem::path plugin_file;
        if (plan.kernel.plugin_dirs.size() == 1) {
            plugin_file = plugin_path(plan.kernel.plugin_dirs.front(), name);
        } else {
            const auto found = find_plugin_files(plan.kernel.plugin_dirs, name);
            if (found.size() != 1) {
                problems.push_back({file.path, plugins_line, kernel_name, "plugins",
                                    not_one_file(name, found, plan.kernel.plugin_dirs)});
                continue;
            }
            plugin_file = found.front();
        }
        try {
            plugin = open(plugin_file);
        } catch (const PluginLoadError& error) {
            problems.push_back({file.path, plugins_line, kernel_name, "plugins", error.what()});
            continue;
        }
        const std::string section_name = std::string(kPluginSectionPrefix) + name;
        const ConfigSection* section = file.find(section_name);
        Settings settings =
            validate_plugin_settings(file, section_name, plugin->descriptor(), problems);
        std::vector<std::string> file_secret_keys;
        if (section != nullptr) {
            for (const auto& entry : section->entries)
                if (entry.secret) file_secret_keys.push_back(entry.key);
        }
        plan.plugins.push_back(
            {std::move(plugin), std::move(settings), std::move(file_secret_keys)});
    }

    resolve_readiness(file, plan, problems);

    const auto stores = std::count_if(plan.plugins.begin(), plan.plugins.end(), [](const auto& p) {
        return p.plugin->has_kind(kStorePlugin);
    });
    const bool all_loaded = plan.plugins.size() == seen.size();
    if (stores != 1 && all_loaded) {
        problems.push_back({file.path, plugins_line, kernel_name, "plugins",
                            stores == 0
                                ? "no store plugin is listed; list exactly one"
                                : "more than one store plugin is listed; list exactly one"});
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));
    return plan;
}

}  // namespace tradestore::kernel
