// The INI reader. Poco's INI reader folds key case, expands ${x} from other properties
// rather than the environment and keeps no line numbers, so we read the file ourselves:
// keys keep their case, ${VAR} and ${VAR:-default} come from the environment, ${file:/path}
// from a file (systemd's LoadCredential=; environment variables show in /proc/<pid>/environ),
// and every entry remembers its line for error messages.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore::kernel {

struct ConfigEntry {
    std::string key;
    std::string value;
    int line = 0;
    bool secret = false;  // part of the value came from ${file:...}: never logged
};

struct ConfigSection {
    std::string name;
    int line = 0;
    std::vector<ConfigEntry> entries;

    const ConfigEntry* find(std::string_view key) const;
};

struct ConfigFile {
    std::string path;
    std::vector<ConfigSection> sections;

    const ConfigSection* find(std::string_view name) const;
};

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string&)>;

// Throws ConfigError listing every syntax problem, duplicate key, unset variable or secret
// file that cannot be read.
ConfigFile parse_config(std::string_view text, const std::string& path,
                        const EnvironmentLookup& environment);
ConfigFile read_config_file(const std::string& path);

}  // namespace tradestore::kernel
