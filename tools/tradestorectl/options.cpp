#include "options.h"

#include <algorithm>
#include <fstream>

namespace tradestore::ctl {
namespace {

std::string trimmed(std::string text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && blank(text.back())) text.pop_back();
    const auto start = std::find_if_not(text.begin(), text.end(), blank);
    return {start, text.end()};
}

std::size_t positive_count(const std::string& option, const std::string& text) {
    const bool digits =
        !text.empty() && text.size() <= 9 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    const std::size_t value = digits ? std::stoul(text) : 0;
    if (value == 0)
        throw UsageError(option + " must be a whole number of at least 1, not '" + text + "'");
    return value;
}

std::string env_or(const Environment& environment, const char* name, std::string fallback) {
    const char* value = environment(name);
    return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

}  // namespace

std::string read_token_file(const std::string& path) {
    std::ifstream file(path);
    std::string line;
    if (!file || !std::getline(file, line)) {
        throw UsageError("cannot read the token file " + path);
    }
    line = trimmed(line);
    if (line.empty()) throw UsageError("the token file " + path + " is empty");
    return line;
}

Options parse_options(const std::vector<std::string>& args, const Environment& environment) {
    Options options;
    options.url = env_or(environment, "TRADESTORE_URL", options.url);
    std::string token;
    std::string token_file;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw UsageError(arg + " needs a value");
            return args[++i];
        };
        if (arg == "--help" || arg == "-h") {
            options.help = true;
        } else if (arg == "--version" || arg == "-V") {
            options.version = true;
        } else if (arg == "--json") {
            options.json = true;
        } else if (arg == "--url") {
            options.url = value();
        } else if (arg == "--token") {
            token = value();
            if (token.empty()) throw UsageError("--token needs a value");
        } else if (arg == "--token-file") {
            token_file = value();
        } else if (arg == "--cacert") {
            options.cacert = value();
        } else if (arg == "--format") {
            options.format = value();
        } else if (arg == "--book") {
            options.book = value();
        } else if (arg == "--as-of") {
            options.as_of = value();
        } else if (arg == "--batch-size") {
            options.batch_size = positive_count(arg, value());
        } else if (arg.size() > 1 && arg[0] == '-') {
            throw UsageError("unknown option " + arg);
        } else {
            options.positional.push_back(arg);
        }
    }
    if (!token.empty() && !token_file.empty()) {
        throw UsageError("give --token or --token-file, not both");
    }
    if (!token.empty()) {
        options.token = token;
    } else if (!token_file.empty()) {
        options.token = read_token_file(token_file);
    } else if (const std::string env = env_or(environment, "TRADESTORE_TOKEN", ""); !env.empty()) {
        options.token = env;
    } else if (const std::string file = env_or(environment, "TRADESTORE_TOKEN_FILE", "");
               !file.empty()) {
        options.token = read_token_file(file);
    } else {
        options.token = env_or(environment, "TRADESTORE_METRICS_TOKEN", "");
    }
    if (std::any_of(options.token.begin(), options.token.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
        throw UsageError("the token holds a control character");
    }
    return options;
}

}  // namespace tradestore::ctl
