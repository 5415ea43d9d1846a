#include "setting_validation.h"

#include <algorithm>
#include <numeric>

namespace tradestore::kernel {

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

}  // namespace

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
            const SettingSpec* spec = find_setting_spec(schema, entry.key);
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
            if (auto problem = setting_value_problem(*spec, entry.value, shown); !problem.empty()) {
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

Settings validate_plugin_settings(const ConfigFile& file, const std::string& section_name,
                                  const PluginDescriptor& descriptor,
                                  std::vector<ConfigProblem>& problems) {
    const ConfigSection* section = file.find(section_name);
    const std::size_t problems_before = problems.size();
    Settings settings =
        validate_settings(file.path, section_name, section, descriptor.settings, problems);
    // The plugin's own check sees only settings that are each valid.
    if (problems.size() == problems_before && descriptor.check_settings != nullptr) {
        for (auto& found : descriptor.check_settings(settings)) {
            const ConfigEntry* entry = section ? section->find(found.key) : nullptr;
            const int line = entry ? entry->line : (section ? section->line : 0);
            problems.push_back(
                {file.path, line, section_name, found.key, std::move(found.problem)});
        }
    }
    return settings;
}

}  // namespace tradestore::kernel
