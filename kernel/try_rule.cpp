#include "try_rule.h"

#include <tradestore/testing.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>

#include "business_clock.h"
#include "config_error.h"
#include "config_file.h"
#include "plugin_loader.h"
#include "setting_validation.h"
#include "trade_codec.h"

namespace tradestore::kernel {

namespace {

constexpr int kAllParsed = 0;
constexpr int kSomeLineInvalid = 1;
constexpr int kCannotRun = 2;
// The default rules, which the daemon's shipped config lists first.
constexpr std::string_view kTradeRules = "trade-rules";
constexpr std::string_view kPackagedPluginDir = "/usr/lib/tradestore/plugins";

constexpr std::string_view kUsage =
    "usage: tradestored --try-rule PLUGIN.so TRADES.jsonl [--business-date YYYY-MM-DD]\n"
    "         [--settings FILE | --settings KEY=VALUE]... [--plugin-dir DIR] [--alone] [--json]\n"
    "  Applies each line of TRADES.jsonl (one trade as the REST API takes it) in order to an\n"
    "  in-memory store with the rule chain trade-rules, PLUGIN (the shipped config's order;\n"
    "  --alone: PLUGIN only) behind the SDK's version guards, and prints each decision.\n"
    "  --settings FILE reads [plugin.<name>] sections of an INI file (a daemon config will do);\n"
    "  KEY=VALUE sets one setting of PLUGIN. trade-rules.so is looked for in --plugin-dir, then\n"
    "  next to PLUGIN, then in /usr/lib/tradestore/plugins. Exit 0: every line parsed; 1: some\n"
    "  line did not; 2: nothing was tried.\n";

struct Options {
    std::filesystem::path plugin;
    std::filesystem::path trades;
    std::optional<std::string> business_date;
    std::optional<std::string> settings_file;
    std::vector<std::pair<std::string, std::string>> overrides;  // KEY=VALUE, in order
    std::optional<std::filesystem::path> plugin_dir;
    bool alone = false;
    bool json = false;
    bool help = false;
};

// Throws std::invalid_argument naming the problem.
Options parse_options(const std::vector<std::string>& args) {
    Options options;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const auto value = [&]() -> const std::string& {
            if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
            return args[++i];
        };
        if (arg == "--help" || arg == "-h") {
            options.help = true;
        } else if (arg == "--json") {
            options.json = true;
        } else if (arg == "--alone") {
            options.alone = true;
        } else if (arg == "--business-date") {
            options.business_date = value();
        } else if (arg == "--plugin-dir") {
            options.plugin_dir = value();
        } else if (arg == "--settings") {
            const std::string& setting = value();
            const std::size_t equals = setting.find('=');
            if (equals != std::string::npos) {
                options.overrides.emplace_back(setting.substr(0, equals),
                                               setting.substr(equals + 1));
            } else if (options.settings_file) {
                throw std::invalid_argument("--settings FILE given twice");
            } else {
                options.settings_file = setting;
            }
        } else if (arg.starts_with("--")) {
            throw std::invalid_argument("unknown option " + arg);
        } else {
            positional.push_back(arg);
        }
    }
    if (options.help) return options;
    if (positional.size() != 2) throw std::invalid_argument("expected PLUGIN.so and TRADES.jsonl");
    options.plugin = positional[0];
    options.trades = positional[1];
    return options;
}

// The settings as one config: the FILE's sections and, with `overrides`, each KEY=VALUE set in
// `section_name` (replacing the file's value). Throws ConfigError.
ConfigFile settings_config(const Options& options, const std::string& section_name,
                           bool overrides) {
    ConfigFile config;
    if (options.settings_file) {
        config = read_config_file(*options.settings_file);
    } else {
        config.path = "--settings";
    }
    if (!overrides || options.overrides.empty()) return config;
    ConfigSection* section = nullptr;
    for (ConfigSection& candidate : config.sections)
        if (candidate.name == section_name) section = &candidate;
    if (section == nullptr)
        section = &config.sections.emplace_back(ConfigSection{section_name, 0, {}});
    for (const auto& override_entry : options.overrides) {
        const std::string& key = override_entry.first;  // clang 14 cannot capture a binding
        std::erase_if(section->entries, [&key](const ConfigEntry& e) { return e.key == key; });
        section->entries.push_back({key, override_entry.second, 0});
    }
    return config;
}

std::filesystem::path find_trade_rules(const Options& options) {
    const std::string file = std::string(kTradeRules) + ".so";
    std::vector<std::filesystem::path> folders;
    if (options.plugin_dir) folders.push_back(*options.plugin_dir);
    folders.push_back(options.plugin.parent_path().empty() ? "." : options.plugin.parent_path());
    folders.emplace_back(kPackagedPluginDir);
    std::string tried;
    for (const auto& folder : folders) {
        if (std::filesystem::exists(folder / file)) return folder / file;
        tried += " " + (folder / file).string();
    }
    throw std::invalid_argument("no " + file + " at" + tried +
                                "; give --plugin-dir DIR, or --alone to try the rule alone");
}

// The rule chain, in order, each with its settings validated. Throws PluginLoadError,
// ConfigError or std::invalid_argument.
std::vector<std::shared_ptr<Rule>> load_chain(const Options& options, std::ostream& err) {
    std::vector<std::filesystem::path> paths;
    const bool is_trade_rules = options.plugin.stem() == kTradeRules;
    if (!options.alone && !is_trade_rules) paths.push_back(find_trade_rules(options));
    paths.push_back(options.plugin);

    std::vector<std::shared_ptr<Rule>> chain;
    std::vector<ConfigProblem> problems;
    for (const auto& path : paths) {
        const std::shared_ptr<LoadedPlugin> plugin = load_plugin(path);
        const PluginDescriptor& descriptor = plugin->descriptor();
        if (!plugin->has_kind(kRulePlugin))
            throw std::invalid_argument(path.string() + ": " + descriptor.name +
                                        " is not a rule plugin");
        const std::string section = "plugin." + descriptor.name;
        // KEY=VALUE settings are the tried plugin's, the last in the chain.
        const ConfigFile config = settings_config(options, section, path == paths.back());
        const std::size_t before = problems.size();
        const Settings settings = validate_plugin_settings(config, section, descriptor, problems);
        if (problems.size() != before) continue;
        chain.push_back(plugin->create_rule(settings));
        err << "rule " << chain.size() << ": " << descriptor.name << " " << descriptor.version
            << " (" << path.string() << ")\n";
    }
    if (!problems.empty()) throw ConfigError(std::move(problems));
    return chain;
}

// What the REST API answers for a line that is not a well-formed trade: status and body.
std::pair<int, std::string> rest_refusal(const TradeCodec& codec, const DecodedOne& decoded) {
    std::string body = "{\"detail\":";
    if (decoded.syntax_error) {
        append_json_string(body, describe_syntax_error(*decoded.syntax_error));
        body += '}';
        return {400, body};
    }
    codec.append_field_errors(body, decoded.item.errors);
    body += '}';
    return {422, body};
}

void print_decision(std::ostream& out, bool json, std::size_t line, const Trade& trade,
                    const ItemResult& result) {
    if (json) {
        std::string text = "{\"line\":" + std::to_string(line) + ",\"trade_id\":";
        append_json_string(text, trade.trade_id);
        text += ",\"version\":" + std::to_string(trade.version) + ",\"outcome\":\"";
        text += to_string(result.outcome);
        text += "\",\"reasons\":[";
        for (std::size_t i = 0; i < result.reasons.size(); ++i) {
            text += i == 0 ? "{\"code\":" : ",{\"code\":";
            append_json_string(text, result.reasons[i].code);
            text += ",\"message\":";
            append_json_string(text, result.reasons[i].message);
            text += '}';
        }
        out << text << "]}\n";
        return;
    }
    out << "line " << line << "  " << trade.trade_id << " v" << trade.version << "  "
        << to_string(result.outcome);
    for (std::size_t i = 0; i < result.reasons.size(); ++i)
        out << (i == 0 ? "  " : " | ") << result.reasons[i].code << ": "
            << result.reasons[i].message;
    out << "\n";
}

void print_refusal(std::ostream& out, bool json, std::size_t line, int status,
                   const std::string& body) {
    if (json) {
        out << "{\"line\":" << line << ",\"outcome\":\"invalid\",\"status\":" << status
            << ",\"body\":" << body << "}\n";
    } else {
        out << "line " << line << "  invalid  " << status << " " << body << "\n";
    }
}

}  // namespace

int try_rule_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Options options;
    Date business_date{};
    std::vector<std::shared_ptr<Rule>> chain;
    try {
        options = parse_options(args);
        if (options.help) {
            out << kUsage;
            return kAllParsed;
        }
        if (options.business_date) {
            const auto parsed = parse_date(*options.business_date);
            if (!parsed)
                throw std::invalid_argument("--business-date: not a YYYY-MM-DD date: '" +
                                            *options.business_date + "'");
            business_date = *parsed;
        } else {
            business_date = ZonedBusinessClock("UTC", std::chrono::minutes{0}).today();
        }
        chain = load_chain(options, err);
    } catch (const ConfigError& error) {
        for (const auto& problem : error.problems()) err << problem.to_string() << "\n";
        return kCannotRun;
    } catch (const std::exception& error) {  // usage, PluginLoadError, create_rule's refusal
        err << "tradestored --try-rule: " << error.what() << "\n" << kUsage;
        return kCannotRun;
    }

    std::ifstream trades(options.trades);
    if (!trades) {
        err << "tradestored --try-rule: cannot read " << options.trades.string() << "\n";
        return kCannotRun;
    }
    err << "business date " << format_date(business_date) << "\n";

    std::vector<const Rule*> rules;
    for (const auto& rule : chain) rules.push_back(rule.get());
    testing::Ledger ledger(rules, format_date(business_date));
    const JsonTradeCodec codec;
    int exit_code = kAllParsed;
    std::string line;
    for (std::size_t number = 1; std::getline(trades, line); ++number) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        DecodedOne decoded = codec.decode_trade(line);
        if (!decoded.item.trade) {
            const auto [status, body] = rest_refusal(codec, decoded);
            print_refusal(out, options.json, number, status, body);
            exit_code = kSomeLineInvalid;
            continue;
        }
        Trade& trade = *decoded.item.trade;
        if (trade.created_date == Date{}) trade.created_date = business_date;  // as REST does
        print_decision(out, options.json, number, trade, ledger.apply(trade));
    }
    return exit_code;
}

}  // namespace tradestore::kernel
