#include "config_error.h"

namespace tradestore::kernel {
namespace {

// A problem quotes values, and a value can come from an environment variable holding a line
// break (a PEM block) or an escape sequence: write control characters escaped so that each
// problem stays one line and never drives the operator's terminal.
std::string printable(std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte != 0x7F) {
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xF];
        }
    }
    return out;
}

}  // namespace

std::string ConfigProblem::to_string() const {
    std::string text = file;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
    if (!section.empty()) text += "[" + section + "] ";
    if (!key.empty()) text += key + ": ";
    text += problem;
    return printable(text);
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
