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
// Reads the file of a ${file:/path} reference: its content, or nullopt with `problem` set.
using SecretFileReader =
    std::function<std::optional<std::string>(const std::string& path, std::string& problem)>;

// The filesystem reader: regular files of at most 1 MiB, one trailing newline removed.
std::optional<std::string> read_secret_file(const std::string& path, std::string& problem);

// Throws ConfigError listing every syntax problem, duplicate key, unset variable or secret
// file that cannot be read. `read_file` defaults to read_secret_file (tests and the fuzz
// harness pass their own).
ConfigFile parse_config(std::string_view text, const std::string& path,
                        const EnvironmentLookup& environment,
                        const SecretFileReader& read_file = {});
ConfigFile read_config_file(const std::string& path);

}  // namespace tradestore::kernel
