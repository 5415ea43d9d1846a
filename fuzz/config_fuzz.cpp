// The config file path of `tradestored --config` / `--check-config`: the kernel's INI reader
// (kernel/config_file, with ${VAR} and ${VAR:-default} from a fixed environment), then the
// deployment plan: [kernel] settings and every [plugin.<name>] section validated against the
// real settings schemas of the seven plugins, linked in (plugin_schemas.cpp) instead of loaded.
//
// Invariants: a refused file yields problems that are one printable line each; an accepted file
// keeps line numbers within the file and, written back out, reads back to the same sections and
// values; an accepted plan lists the plugins in order with one store, and every value in it
// (given or defaulted) parses as its setting's type and lies within the setting's range.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "config_error.h"
#include "config_file.h"
#include "deployment_plan.h"
#include "fuzz_checks.h"
#include "plugin_schemas.h"
#include "setting_validation.h"

namespace {

using namespace tradestore;
using namespace tradestore::kernel;
using fuzz::expect;

std::optional<std::string> environment(const std::string& name) {
    static const std::map<std::string, std::string> kEnvironment = {
        {"TRADESTORE_PLUGIN_DIR", "/usr/lib/tradestore/plugins"},
        {"TRADESTORE_DATA_DIR", "/var/lib/tradestore"},
        {"TRADESTORE_PG_URI", "postgresql://tradestore@localhost/tradestore"},
        {"MONGO_USER", "audit"},
        {"MONGO_PASSWORD", "pa:ss@word"},
        {"PORT", "8080"},
        {"EMPTY", ""},
        {"DB_PASSWORD", "s3cr=t ${NOT_EXPANDED}"},
        {"PEM", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"},
    };
    const auto found = kEnvironment.find(name);
    if (found == kEnvironment.end()) return std::nullopt;
    return found->second;
}

std::shared_ptr<LoadedPlugin> open_linked(const std::filesystem::path& path) {
    const std::string file = path.filename().string();
    if (file.ends_with(".so")) {
        if (const PluginDescriptor* descriptor =
                fuzz::linked_plugin_descriptor(std::string_view(file).substr(0, file.size() - 3)))
            return std::make_shared<LoadedPlugin>(path, nullptr, descriptor);
    }
    throw PluginLoadError("plugin " + path.string() + ": file not found");
}

void check_problems(const ConfigError& error) {
    expect(!error.problems().empty(), "a ConfigError names at least one problem");
    for (const ConfigProblem& problem : error.problems()) {
        const std::string line = problem.to_string();
        expect(
            std::none_of(line.begin(), line.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }),
            "each config problem is one line without control characters");
    }
}

std::size_t line_count(std::string_view text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

// Values that the INI syntax can write back as they are: no line break, no blank at an end.
bool writable(const std::string& value) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    return value.find_first_of("\r\n") == std::string::npos &&
           (value.empty() || (!blank(value.front()) && !blank(value.back())));
}

// ${file:/path} from a fixed set instead of the filesystem: fuzz input must not read (or hang
// on) the machine's files, and the result must not depend on them.
std::optional<std::string> secret_files(const std::string& path, std::string& problem) {
    static const std::map<std::string, std::string> kFiles = {
        {"/run/credentials/tradestored/pg", "postgresql://writer:pw@db/trades"},
        {"/run/credentials/tradestored/token",
         "admin:sha256:"
         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
        {"/etc/tradestore/multiline", "line one\nline two"},
    };
    const auto found = kFiles.find(path);
    if (found == kFiles.end()) {
        problem = "secret file " + path + " does not exist";
        return std::nullopt;
    }
    return found->second;
}

void check_round_trip(const ConfigFile& file, std::string_view text) {
    std::string written;
    for (const ConfigSection& section : file.sections) {
        expect(section.line >= 1 && static_cast<std::size_t>(section.line) <= line_count(text),
               "a section's line is within the file");
        written += "[" + section.name + "]\n";
        for (const ConfigEntry& entry : section.entries) {
            expect(entry.line > section.line &&
                       static_cast<std::size_t>(entry.line) <= line_count(text),
                   "an entry's line is within its section");
            if (!writable(entry.value)) return;
            written += entry.key + " = ";
            for (char c : entry.value) written += c == '$' ? std::string("$$") : std::string(1, c);
            written += '\n';
        }
    }
    const ConfigFile again = parse_config(written, "written.ini", environment, secret_files);
    expect(again.sections.size() == file.sections.size(), "written back: same sections");
    for (std::size_t i = 0; i < file.sections.size(); ++i) {
        const ConfigSection& before = file.sections[i];
        const ConfigSection& after = again.sections[i];
        expect(before.name == after.name && before.entries.size() == after.entries.size(),
               "written back: same section names and sizes");
        for (std::size_t k = 0; k < before.entries.size(); ++k) {
            expect(before.entries[k].key == after.entries[k].key &&
                       before.entries[k].value == after.entries[k].value,
                   "written back: same keys and values");
        }
    }
}

void check_value(const SettingSpec& spec, const std::string& value) {
    switch (spec.type) {
        case SettingType::Int: {
            const auto number = setting_parse::integer(value);
            expect(number && *number >= spec.min && *number <= spec.max,
                   "a planned int setting parses and is in range: " + spec.key);
            break;
        }
        case SettingType::Bool:
            expect(setting_parse::boolean(value).has_value(),
                   "a planned bool setting parses: " + spec.key);
            break;
        case SettingType::Duration: {
            const auto duration = setting_parse::duration(value);
            expect(duration && duration->count() >= spec.min && duration->count() <= spec.max,
                   "a planned duration parses and is in range: " + spec.key);
            break;
        }
        case SettingType::String:
        case SettingType::List:
        case SettingType::Secret:
            break;
    }
}

void check_plan(const DeploymentPlan& plan) {
    expect(plan.plugins.size() == plan.kernel.plugins.size(), "every listed plugin is planned");
    int stores = 0;
    for (std::size_t i = 0; i < plan.plugins.size(); ++i) {
        const PluginDescriptor& descriptor = plan.plugins[i].plugin->descriptor();
        expect(descriptor.name == plan.kernel.plugins[i], "plugins are planned in order");
        stores += plan.plugins[i].plugin->has_kind(kStorePlugin) ? 1 : 0;
        for (const auto& [key, value] : plan.plugins[i].settings.values()) {
            const SettingSpec* spec = find_setting_spec(descriptor.settings, key);
            expect(spec != nullptr, "a planned setting is in the schema: " + key);
            check_value(*spec, value);
        }
        for (const SettingSpec& spec : descriptor.settings) {
            expect(!spec.required || plan.plugins[i].settings.has(spec.key),
                   "a required setting is planned: " + spec.key);
        }
    }
    expect(stores == 1, "a plan has exactly one store");
    expect(plan.kernel.group_commit_max_items >= 1 && plan.kernel.ingest_writers >= 1,
           "kernel limits are positive");
    std::size_t values = 0;
    for (const PlannedPlugin& planned : plan.plugins) values += planned.settings.values().size();
    expect(describe_settings(plan).size() == values, "the settings listing has every value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    ConfigFile file;
    try {
        file = parse_config(text, "fuzz.ini", environment, secret_files);
    } catch (const ConfigError& error) {
        check_problems(error);
        return 0;
    }
    check_round_trip(file, text);
    try {
        check_plan(plan_deployment(file, open_linked));
    } catch (const ConfigError& error) {
        check_problems(error);
    }
    return 0;
}
