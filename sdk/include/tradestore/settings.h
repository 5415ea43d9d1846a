// A plugin's settings: the schema it declares and the validated values it receives.
// The kernel validates every value against the schema before a plugin is created, so the
// typed getters below only ever see values that parse.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore {

enum class SettingType : std::uint8_t {
    String,
    Int,
    Bool,
    Duration,  // "250ms", "30s", "5m", "1h"
    List,      // comma-separated, blanks trimmed
    Secret,    // a string never written to logs or listings
};

inline std::string_view to_string(SettingType type) {
    switch (type) {
        case SettingType::String:
            return "string";
        case SettingType::Int:
            return "int";
        case SettingType::Bool:
            return "bool";
        case SettingType::Duration:
            return "duration";
        case SettingType::List:
            return "list";
        case SettingType::Secret:
            return "secret";
    }
    return "string";
}

struct SettingSpec {
    std::string key;
    SettingType type = SettingType::String;
    std::string default_value;  // empty with required=false means "unset"
    bool required = false;
    std::string help;
    std::int64_t min = INT64_MIN;  // for Int and Duration (milliseconds)
    std::int64_t max = INT64_MAX;
    // When not empty, the only values allowed (for a String, or each item of a List); the
    // kernel refuses any other and --list-plugins shows them, so a plugin need not check.
    std::vector<std::string> choices = {};
};

// A problem a plugin finds in settings that are well-typed but do not fit together (a key
// naming another that is missing, a value a plugin cannot use). `key` is the setting to blame.
struct SettingProblem {
    std::string key;
    std::string problem;
};

namespace setting_parse {

inline std::optional<std::int64_t> integer(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return value;
}

inline std::optional<bool> boolean(std::string_view text) {
    if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
    if (text == "false" || text == "no" || text == "off" || text == "0") return false;
    return std::nullopt;
}

inline std::optional<std::chrono::milliseconds> duration(std::string_view text) {
    struct Unit {
        std::string_view suffix;
        std::int64_t ms;
    };
    static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    for (const Unit& unit : kUnits) {
        if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
            auto number = integer(text.substr(0, text.size() - unit.suffix.size()));
            if (!number || *number < 0 || *number > INT64_MAX / unit.ms) return std::nullopt;
            return std::chrono::milliseconds(*number * unit.ms);
        }
    }
    return std::nullopt;
}

inline std::vector<std::string> list(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = text.substr(start, comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
            item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        start = comma + 1;
    }
    return items;
}

}  // namespace setting_parse

// The spec a key falls under: its own, or a wildcard spec such as "kafka.*", which takes
// every key with that prefix ("kafka.security.protocol"). Null when none does.
inline const SettingSpec* find_setting_spec(const std::vector<SettingSpec>& schema,
                                            std::string_view key) {
    for (const auto& spec : schema)
        if (spec.key == key) return &spec;
    for (const auto& spec : schema) {
        if (!spec.key.ends_with(".*")) continue;
        const std::string_view prefix = std::string_view(spec.key).substr(0, spec.key.size() - 1);
        if (key.size() > prefix.size() && key.starts_with(prefix)) return &spec;
    }
    return nullptr;
}

// "a, b or c": a setting's allowed values, as problems and --list-plugins name them.
inline std::string setting_choices_text(const std::vector<std::string>& choices) {
    std::string text;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) text += i + 1 == choices.size() ? " or " : ", ";
        text += choices[i];
    }
    return text;
}

// What is wrong with `value` for the spec's choices, or "" when it has none or is one of them.
inline std::string setting_choice_problem(const SettingSpec& spec, std::string_view value,
                                          std::string_view shown) {
    if (spec.choices.empty() ||
        std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end())
        return "";
    return "expected " + setting_choices_text(spec.choices) + ", got '" + std::string(shown) + "'";
}

// What is wrong with `value` for the spec's type and range, or "" when it is valid; the
// daemon's config check and the SDK test kit (tradestore/testing.h) both ask this. `shown` is
// how the problem names the value: the value itself, or a stand-in for a secret.
inline std::string setting_value_problem(const SettingSpec& spec, std::string_view value,
                                         std::string_view shown) {
    const std::string quoted = "'" + std::string(shown) + "'";
    switch (spec.type) {
        case SettingType::Int: {
            const auto number = setting_parse::integer(value);
            if (!number) return "expected an integer, got " + quoted;
            if (*number < spec.min || *number > spec.max)
                return "must be between " + std::to_string(spec.min) + " and " +
                       std::to_string(spec.max) + ", got " + std::string(shown);
            return "";
        }
        case SettingType::Bool:
            return setting_parse::boolean(value) ? "" : "expected true or false, got " + quoted;
        case SettingType::Duration: {
            const auto duration = setting_parse::duration(value);
            if (!duration) return "expected a duration such as 250ms, 30s, 5m or 1h, got " + quoted;
            if (duration->count() < spec.min || duration->count() > spec.max)
                return "duration out of range";
            return "";
        }
        case SettingType::String:
            return setting_choice_problem(spec, value, shown);
        case SettingType::List:
            for (const std::string& item : setting_parse::list(value)) {
                if (auto problem = setting_choice_problem(spec, item, item); !problem.empty())
                    return problem;
            }
            return "";
        case SettingType::Secret:
            return "";
    }
    return "";
}

class Settings {
  public:
    Settings() = default;
    explicit Settings(std::map<std::string, std::string, std::less<>> values)
        : values_(std::move(values)) {}

    bool has(std::string_view key) const { return values_.find(key) != values_.end(); }

    const std::string& get_string(std::string_view key) const {
        auto it = values_.find(key);
        if (it == values_.end()) throw std::out_of_range("setting not set: " + std::string(key));
        return it->second;
    }
    std::int64_t get_int(std::string_view key) const {
        return checked(setting_parse::integer(get_string(key)), key);
    }
    bool get_bool(std::string_view key) const {
        return checked(setting_parse::boolean(get_string(key)), key);
    }
    std::chrono::milliseconds get_duration(std::string_view key) const {
        return checked(setting_parse::duration(get_string(key)), key);
    }
    std::vector<std::string> get_list(std::string_view key) const {
        return setting_parse::list(get_string(key));
    }
    const std::map<std::string, std::string, std::less<>>& values() const { return values_; }

  private:
    template <typename T>
    static T checked(std::optional<T> value, std::string_view key) {
        if (!value) throw std::invalid_argument("setting has the wrong type: " + std::string(key));
        return *value;
    }

    std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace tradestore
