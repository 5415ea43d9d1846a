#include "setting_validation.h"

#include <algorithm>
#include <numeric>

namespace tradestore::kernel {

std::string choices_text(const std::vector<std::string>& choices) {
    std::string text;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) text += i + 1 == choices.size() ? " or " : ", ";
        text += choices[i];
    }
    return text;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), 0);
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string check_choice(const SettingSpec& spec, const std::string& value,
                         const std::string& shown) {
    if (spec.choices.empty() ||
        std::find(spec.choices.begin(), spec.choices.end(), value) != spec.choices.end())
        return "";
    std::string problem = "expected " + choices_text(spec.choices) + ", got '" + shown + "'";
    if (auto hint = closest_match(value, spec.choices); !hint.empty())
        problem += " (did you mean '" + hint + "'?)";
    return problem;
}

// Returns the problem with the value, or "" when it is valid for the type. `shown` is how the
// problem names the value: the value itself, or a stand-in when it is a ${file:} secret.
std::string check_value(const SettingSpec& spec, const std::string& value,
                        const std::string& shown) {
    switch (spec.type) {
        case SettingType::Int: {
            auto number = setting_parse::integer(value);
            if (!number) return "expected an integer, got '" + shown + "'";
            if (*number < spec.min || *number > spec.max)
                return "must be between " + std::to_string(spec.min) + " and " +
                       std::to_string(spec.max) + ", got " + shown;
            return "";
        }
        case SettingType::Bool:
            return setting_parse::boolean(value) ? ""
                                                 : "expected true or false, got '" + shown + "'";
        case SettingType::Duration: {
            auto duration = setting_parse::duration(value);
            if (!duration)
                return "expected a duration such as 250ms, 30s, 5m or 1h, got '" + shown + "'";
            if (duration->count() < spec.min || duration->count() > spec.max)
                return "duration out of range";
            return "";
        }
        case SettingType::String:
            return check_choice(spec, value, shown);
        case SettingType::List:
            for (const std::string& item : setting_parse::list(value)) {
                if (auto problem = check_choice(spec, item, item); !problem.empty()) return problem;
            }
            return "";
        case SettingType::Secret:
            return "";
    }
    return "";
}

}  // namespace

const SettingSpec* find_spec(const std::vector<SettingSpec>& schema, std::string_view key) {
    for (const auto& spec : schema)
        if (spec.key == key) return &spec;
    for (const auto& spec : schema) {
        if (!spec.key.ends_with(".*")) continue;
        const std::string_view prefix = std::string_view(spec.key).substr(0, spec.key.size() - 1);
        if (key.size() > prefix.size() && key.starts_with(prefix)) return &spec;
    }
    return nullptr;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    return best;
}

Settings validate_settings(const std::string& file, const std::string& section_name,
                           const ConfigSection* section, const std::vector<SettingSpec>& schema,
                           std::vector<ConfigProblem>& problems) {
    std::map<std::string, std::string, std::less<>> values;
    std::vector<std::string> known;
    for (const auto& spec : schema) known.push_back(spec.key);

    if (section != nullptr) {
        for (const auto& entry : section->entries) {
            const SettingSpec* spec = find_spec(schema, entry.key);
            if (spec == nullptr) {
                std::string problem = "unknown setting";
                if (auto hint = closest_match(entry.key, known); !hint.empty())
                    problem += " (did you mean '" + hint + "'?)";
                else if (!known.empty()) {
                    problem += "; valid settings:";
                    for (const auto& key : known) problem += " " + key;
                } else {
                    problem += "; this plugin takes no settings";
                }
                problems.push_back({file, entry.line, section_name, entry.key, problem});
                continue;
            }
            const std::string shown = entry.secret ? "(value from ${file:...})" : entry.value;
            if (auto problem = check_value(*spec, entry.value, shown); !problem.empty()) {
                problems.push_back({file, entry.line, section_name, entry.key, problem});
                continue;
            }
            values[entry.key] = entry.value;
        }
    }
    for (const auto& spec : schema) {
        if (values.count(spec.key) != 0 || spec.key.ends_with(".*")) continue;
        if (spec.required) {
            problems.push_back({file, section != nullptr ? section->line : 0, section_name,
                                spec.key, "required setting is missing"});
        } else if (!spec.default_value.empty()) {
            values[spec.key] = spec.default_value;
        }
    }
    return Settings(std::move(values));
}

}  // namespace tradestore::kernel
