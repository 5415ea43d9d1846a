// Checks one config section against a settings schema: unknown keys (with a "did you mean"
// hint), missing required keys, ill-typed and out-of-range values. Defaults fill the rest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tradestore/settings.h>

#include "config_error.h"
#include "config_file.h"

namespace tradestore::kernel {

// `section` may be null when the file has no such section (all defaults apply).
Settings validate_settings(const std::string& file, const std::string& section_name,
                           const ConfigSection* section, const std::vector<SettingSpec>& schema,
                           std::vector<ConfigProblem>& problems);

// The spec a key falls under: its own, or a wildcard spec such as "kafka.*", which takes
// every key with that prefix ("kafka.security.protocol"). Null when none does.
const SettingSpec* find_spec(const std::vector<SettingSpec>& schema, std::string_view key);

// "a, b or c": a setting's allowed values, as problems and --list-plugins name them.
std::string choices_text(const std::vector<std::string>& choices);

// The closest candidate within a small edit distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tradestore::kernel
