#include "config_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config_error.h"

namespace tradestore::kernel {

const ConfigEntry* ConfigSection::find(std::string_view key) const {
    for (const auto& entry : entries)
        if (entry.key == key) return &entry;
    return nullptr;
}

const ConfigSection* ConfigFile::find(std::string_view name) const {
    for (const auto& section : sections)
        if (section.name == name) return &section;
    return nullptr;
}

namespace {

std::string_view trim(std::string_view text) {
    const auto is_blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && is_blank(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back())) text.remove_suffix(1);
    return text;
}

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

constexpr std::string_view kFilePrefix = "file:";

// Expands ${VAR}, ${VAR:-default} and ${file:/path}; "$$" is a literal "$". `secret` is set
// when a file supplied part of the value.
std::optional<std::string> expand(std::string_view value, const EnvironmentLookup& environment,
                                  const SecretFileReader& read_file, std::string& problem,
                                  bool& secret) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '$') {
            out += value[i];
            continue;
        }
        if (i + 1 < value.size() && value[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (i + 1 >= value.size() || value[i + 1] != '{') {
            out += '$';
            continue;
        }
        const std::size_t close = value.find('}', i + 2);
        if (close == std::string_view::npos) {
            problem = "unterminated ${ in value";
            return std::nullopt;
        }
        std::string_view reference = value.substr(i + 2, close - i - 2);
        if (reference.starts_with(kFilePrefix)) {
            const std::string file_path(reference.substr(kFilePrefix.size()));
            if (file_path.empty() || file_path.front() != '/') {
                problem = "${file:" + file_path + "} needs an absolute path";
                return std::nullopt;
            }
            auto content =
                read_file ? read_file(file_path, problem) : read_secret_file(file_path, problem);
            if (!content) return std::nullopt;
            out += *content;
            secret = true;
            i = close;
            continue;
        }
        std::optional<std::string_view> fallback;
        if (auto sep = reference.find(":-"); sep != std::string_view::npos) {
            fallback = reference.substr(sep + 2);
            reference = reference.substr(0, sep);
        }
        if (!valid_name(reference)) {
            problem = "invalid variable name in ${" + std::string(reference) + "}";
            return std::nullopt;
        }
        auto resolved = environment(std::string(reference));
        if (resolved && !resolved->empty()) {
            out += *resolved;
        } else if (fallback) {
            out += *fallback;
        } else {
            problem = "environment variable " + std::string(reference) + " is not set";
            return std::nullopt;
        }
        i = close;
    }
    return out;
}

}  // namespace

std::optional<std::string> read_secret_file(const std::string& path, std::string& problem) {
    // A secret is a password, a token hash or a key: a bigger file is a wrong path (a log, a
    // device), better refused than read into memory.
    constexpr std::uintmax_t kMaxSecretBytes = 1024 * 1024;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        problem =
            "secret file " + path +
            (std::filesystem::exists(path, error) ? " is not a regular file" : " does not exist");
        return std::nullopt;
    }
    if (std::filesystem::file_size(path, error) > kMaxSecretBytes && !error) {
        problem = "secret file " + path + " is larger than 1 MiB";
        return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problem = "cannot read secret file " + path + ": " + std::strerror(errno);
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    std::string text = content.str();
    if (text.ends_with('\n')) text.pop_back();
    return text;
}

ConfigFile parse_config(std::string_view text, const std::string& path,
                        const EnvironmentLookup& environment, const SecretFileReader& read_file) {
    ConfigFile file;
    file.path = path;
    std::vector<ConfigProblem> problems;
    int line_number = 0;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++line_number;
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;

        if (line.front() == '[') {
            if (line.back() != ']' || !valid_name(trim(line.substr(1, line.size() - 2)))) {
                problems.push_back({path, line_number, "", "", "malformed section header"});
                continue;
            }
            const std::string name(trim(line.substr(1, line.size() - 2)));
            if (const ConfigSection* earlier = file.find(name)) {
                problems.push_back(
                    {path, line_number, name, "",
                     "section repeated (first at line " + std::to_string(earlier->line) + ")"});
            }
            file.sections.push_back({name, line_number, {}});
            continue;
        }
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) {
            problems.push_back({path, line_number, "", "", "expected 'key = value'"});
            continue;
        }
        const std::string key(trim(line.substr(0, equals)));
        if (file.sections.empty()) {
            problems.push_back({path, line_number, "", key, "key outside any [section]"});
            continue;
        }
        ConfigSection& section = file.sections.back();
        if (!valid_name(key)) {
            problems.push_back({path, line_number, section.name, key, "invalid key name"});
            continue;
        }
        if (const ConfigEntry* earlier = section.find(key)) {
            problems.push_back({path, line_number, section.name, key,
                                "conflicting or redundant setting (first at line " +
                                    std::to_string(earlier->line) + ")"});
            continue;
        }
        std::string problem;
        bool secret = false;
        auto value = expand(trim(line.substr(equals + 1)), environment, read_file, problem, secret);
        if (!value) {
            problems.push_back({path, line_number, section.name, key, problem});
            continue;
        }
        section.entries.push_back({key, std::move(*value), line_number, secret});
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));
    return file;
}

ConfigFile read_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError({{path, 0, "", "", "cannot read the file"}});
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), path,
                        [](const std::string& name) -> std::optional<std::string> {
                            const char* value = std::getenv(name.c_str());
                            if (value == nullptr) return std::nullopt;
                            return std::string(value);
                        });
}

}  // namespace tradestore::kernel
