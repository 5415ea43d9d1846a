#include "sqlite_store_settings.h"

#include <tradestore/path_checks.h>

#include <stdexcept>
#include <string>

namespace tradestore::plugins {

std::vector<SettingSpec> sqlite_store_settings() {
    return {
        {.key = "path",
         .type = SettingType::String,
         .default_value = "var/tradestore.db",
         .help = "Database file; its directory is created if missing"},
        {.key = "busy_timeout",
         .type = SettingType::Duration,
         .default_value = "5s",
         .help = "How long to wait for a lock held by another process before answering 503",
         .min = 0},
        {.key = "synchronous",
         .type = SettingType::String,
         .default_value = "full",
         .help = "\"full\" (an accepted trade survives power loss) or \"normal\" (faster; "
                 "survives a crash of the process, not of the machine)",
         .choices = {"full", "normal"}},
        {.key = "cache_size_mb",
         .type = SettingType::Int,
         .default_value = "64",
         .help = "Page cache per connection, in MiB",
         .min = 1,
         .max = 1 << 20},
        {.key = "change_feed",
         .type = SettingType::Bool,
         .default_value = "false",
         .help = "Queue every accepted version (the trade history) in the change outbox, in "
                 "its transaction, for kafka-source's changes_topic to publish; rows wait "
                 "there until published"},
    };
}

SqliteStoreOptions sqlite_store_options(const Settings& settings) {
    SqliteStoreOptions options;
    sqlite::ConnectionOptions& connection = options.connection;

    connection.path = settings.get_string("path");
    if (connection.path.empty()) throw std::invalid_argument("sqlite-store: path is empty");

    connection.busy_timeout = settings.get_duration("busy_timeout");

    const std::string& synchronous = settings.get_string("synchronous");
    if (synchronous == "full") {
        connection.synchronous = sqlite::Synchronous::Full;
    } else if (synchronous == "normal") {
        connection.synchronous = sqlite::Synchronous::Normal;
    } else {
        throw std::invalid_argument(
            "sqlite-store: synchronous must be \"full\" or \"normal\", not \"" + synchronous +
            "\"");
    }

    connection.cache_size_mb = settings.get_int("cache_size_mb");
    if (connection.cache_size_mb < 1 || connection.cache_size_mb > (1 << 20)) {
        throw std::invalid_argument("sqlite-store: cache_size_mb must be between 1 and 1048576");
    }
    options.change_feed = settings.get_bool("change_feed");
    return options;
}

std::vector<SettingProblem> check_sqlite_store_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    const std::string& path = settings.get_string("path");
    if (path.empty()) {
        problems.push_back({"path", "must name the database file"});
        return problems;
    }
    // WAL mode writes two files beside the database: the folder must take them too.
    for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
        if (std::string problem = file_write_problem(file); !problem.empty()) {
            problems.push_back({"path", std::move(problem)});
            break;
        }
    }
    return problems;
}

std::unique_ptr<Store> create_sqlite_store(const Settings& settings) {
    return std::make_unique<SqliteStore>(sqlite_store_options(settings));
}

}  // namespace tradestore::plugins
