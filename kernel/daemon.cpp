#include "daemon.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>

#include <algorithm>
#include <iostream>

#include "config_error.h"
#include "config_file.h"
#include "deployment_plan.h"
#include "logging_setup.h"
#include "plugin_listing.h"
#include "reload_signal.h"
#include "runtime.h"

namespace tradestore::kernel {

namespace {
constexpr int kExitFailure = 1;

DeploymentPlan load_plan(const std::string& path, const std::optional<std::string>& business_date) {
    ConfigFile file = read_config_file(path);
    if (business_date) {
        // --business-date wins over the file; validated like the file's own setting.
        ConfigSection* kernel = nullptr;
        for (auto& section : file.sections)
            if (section.name == "kernel") kernel = &section;
        if (kernel != nullptr) {
            std::erase_if(kernel->entries,
                          [](const ConfigEntry& e) { return e.key == "business_date"; });
            kernel->entries.push_back({"business_date", *business_date, 0});
        }
    }
    return plan_deployment(file);
}
}  // namespace

void Daemon::defineOptions(Poco::Util::OptionSet& options) {
    ServerApplication::defineOptions(options);
    using Poco::Util::Option;
    options.addOption(
        Option("help", "h", "show this help and exit").required(false).repeatable(false));
    options.addOption(
        Option("version", "V", "print the version and exit").required(false).repeatable(false));
    options.addOption(Option("config", "c", "config file (default /etc/tradestore/tradestore.ini)")
                          .required(false)
                          .repeatable(false)
                          .argument("FILE"));
    options.addOption(Option("check-config", "",
                             "validate the config and load every plugin, "
                             "then exit 0 (valid) or 1; binds and starts nothing")
                          .required(false)
                          .repeatable(false));
    options.addOption(Option("list-plugins", "",
                             "list the plugins in the plugin folder with "
                             "their settings, then exit")
                          .required(false)
                          .repeatable(false));
    options.addOption(Option("plugin-dir", "",
                             "plugin folder for --list-plugins (default: the "
                             "config's plugin_dirs)")
                          .required(false)
                          .repeatable(false)
                          .argument("DIR"));
    options.addOption(Option("business-date", "",
                             "fix the business date (YYYY-MM-DD), "
                             "overriding the config")
                          .required(false)
                          .repeatable(false)
                          .argument("DATE"));
}

void Daemon::handleOption(const std::string& name, const std::string& value) {
    ServerApplication::handleOption(name, value);
    if (name == "help") {
        help_ = true;
        stopOptionsProcessing();
    } else if (name == "version") {
        version_ = true;
        stopOptionsProcessing();
    } else if (name == "config") {
        config_path_ = value;
    } else if (name == "check-config") {
        check_config_ = true;
    } else if (name == "list-plugins") {
        list_plugins_ = true;
    } else if (name == "plugin-dir") {
        plugin_dir_ = value;
    } else if (name == "business-date") {
        business_date_ = value;
    }
}

int Daemon::main(const std::vector<std::string>& args) {
    if (help_) {
        Poco::Util::HelpFormatter help(options());
        help.setCommand(commandName());
        help.setUsage("[--config FILE] [--check-config | --list-plugins]");
        help.setHeader("TradeStore daemon: ingests, validates and stores trades.");
        // --try-rule is parsed before Poco's options (kernel/main.cpp); named here so it is found.
        help.setFooter(
            "tradestored --try-rule PLUGIN.so TRADES.jsonl [...] decides each trade of a "
            "file with a rule plugin and prints the decisions (--try-rule --help).");
        help.format(std::cout);
        return EXIT_OK;
    }
    if (version_) {
        std::cout << "tradestored " << TRADESTORE_VERSION << "\n";
        return EXIT_OK;
    }
    if (!args.empty()) {
        std::cerr << "tradestored: unexpected argument '" << args.front() << "' (see --help)\n";
        return kExitFailure;
    }
    if (list_plugins_) return list_plugins_command();
    if (check_config_) return check_config();
    return serve();
}

int Daemon::check_config() {
    try {
        DeploymentPlan plan = load_plan(config_path_, business_date_);
        std::cout << config_path_ << ": OK (" << plan.plugins.size() << " plugins: ";
        for (std::size_t i = 0; i < plan.plugins.size(); ++i)
            std::cout << (i ? ", " : "") << plan.plugins[i].plugin->descriptor().name;
        std::cout << ")\n";
        return EXIT_OK;
    } catch (const ConfigError& error) {
        for (const auto& problem : error.problems()) std::cerr << problem.to_string() << "\n";
        return kExitFailure;
    }
}

int Daemon::list_plugins_command() {
    std::vector<std::filesystem::path> folders;
    if (plugin_dir_) {
        folders = {*plugin_dir_};
    } else {
        std::vector<ConfigProblem> problems;
        try {
            folders = plugin_folders(read_config_file(config_path_), problems);
        } catch (const ConfigError& error) {
            problems = error.problems();
        }
        for (const auto& problem : problems) std::cerr << problem.to_string() << "\n";
        if (!problems.empty()) return kExitFailure;
    }
    return list_plugins(folders, std::cout) ? EXIT_OK : kExitFailure;
}

int Daemon::serve() {
    // Before any thread starts, so that only the reload thread ever takes SIGHUP.
    block_reload_signal();
    std::unique_ptr<DeploymentPlan> plan;
    try {
        plan = std::make_unique<DeploymentPlan>(load_plan(config_path_, business_date_));
    } catch (const ConfigError& error) {
        for (const auto& problem : error.problems()) std::cerr << problem.to_string() << "\n";
        return kExitFailure;
    }
    log_secrets_ = secret_values(*plan);
    configure_logging(plan->kernel.log_level, plan->kernel.log_file,
                      plan->kernel.log_format == "json" ? LogFormat::Json : LogFormat::Plain,
                      log_secrets_);
    Poco::Logger& log = Poco::Logger::get("kernel");
    log.information("config " + config_path_ + " is valid");
    if (log.debug()) {
        for (const std::string& line : describe_settings(*plan)) log.debug("setting " + line);
    }
    for (const auto& planned : plan->plugins) {
        const auto& d = planned.plugin->descriptor();
        log.information("loaded plugin " + d.name + " " + d.version + " from " +
                        planned.plugin->path().string());
    }
    Runtime runtime(*plan);
    try {
        runtime.start();
    } catch (const std::exception& error) {
        log.fatal(std::string("startup failed: ") + error.what());
        std::cerr << "tradestored: " << redact_secrets(error.what()) << "\n";
        return kExitFailure;
    }
    {
        ReloadSignalThread reloads([this, &runtime] { reload(runtime); });
        waitForTerminationRequest();
    }
    log.information("termination requested; draining in-flight work");
    runtime.stop();
    log.information("tradestored stopped");
    return EXIT_OK;
}

void Daemon::reload(Runtime& runtime) {
    Poco::Logger& log = Poco::Logger::get("kernel");
    log.information("SIGHUP: re-reading " + config_path_);
    try {
        const DeploymentPlan fresh = load_plan(config_path_, business_date_);
        // Old secrets stay masked too: they may still appear in lines about the old config.
        for (std::string& secret : secret_values(fresh)) log_secrets_.push_back(std::move(secret));
        std::sort(log_secrets_.begin(), log_secrets_.end());
        log_secrets_.erase(std::unique(log_secrets_.begin(), log_secrets_.end()),
                           log_secrets_.end());
        set_log_secrets(log_secrets_);
        runtime.reload(fresh);
        log.information("SIGHUP: reload of " + config_path_ + " done");
    } catch (const ConfigError& error) {
        for (const auto& problem : error.problems())
            log.error("SIGHUP: config refused, the running one stays: " + problem.to_string());
    } catch (const std::exception& error) {
        log.error(std::string("SIGHUP: reload failed, the running config stays: ") + error.what());
    }
}

}  // namespace tradestore::kernel
