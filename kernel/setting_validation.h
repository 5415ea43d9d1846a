// Checks one config section against a settings schema: unknown keys (with a "did you mean"
// hint), missing required keys, ill-typed and out-of-range values. Defaults fill the rest.
#pragma once

#include <tradestore/plugin.h>
#include <tradestore/settings.h>

#include <string>
#include <string_view>
#include <vector>

#include "config_error.h"
#include "config_file.h"

namespace tradestore::kernel {

// `section` may be null when the file has no such section (all defaults apply).
Settings validate_settings(const std::string& file, const std::string& section_name,
                           const ConfigSection* section, const std::vector<SettingSpec>& schema,
                           std::vector<ConfigProblem>& problems);

// A plugin's settings from the section `section_name` of `file`, as the daemon takes them:
// the schema's checks, then, when each value is valid, the plugin's own check_settings; every
// problem names file, line and key.
Settings validate_plugin_settings(const ConfigFile& file, const std::string& section_name,
                                  const PluginDescriptor& descriptor,
                                  std::vector<ConfigProblem>& problems);

// The closest candidate within a small edit distance, or "" when none is close.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace tradestore::kernel
