#include "config_error.h"

namespace tradestore::kernel {

std::string ConfigProblem::to_string() const {
    std::string text = file;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
    if (!section.empty()) text += "[" + section + "] ";
    if (!key.empty()) text += key + ": ";
    text += problem;
    return text;
}

namespace {
std::string join(const std::vector<ConfigProblem>& problems) {
    std::string text;
    for (const auto& problem : problems) {
        if (!text.empty()) text += '\n';
        text += problem.to_string();
    }
    return text;
}
}  // namespace

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : std::runtime_error(join(problems)), problems_(std::move(problems)) {}

}  // namespace tradestore::kernel
