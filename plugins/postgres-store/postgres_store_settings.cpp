#include "postgres_store_settings.h"

#include <stdexcept>
#include <string>

namespace tradestore::plugins {

std::vector<SettingSpec> postgres_store_settings() {
    return {
        {.key = "uri",
         .type = SettingType::Secret,
         .default_value = "",
         .required = true,
         .help = "libpq connection URI or string, passed as is (sslmode and every other libpq "
                 "setting included), e.g. postgresql://tradestore@db:5432/tradestore?"
                 "sslmode=verify-full; give the password with ${ENV} or ~/.pgpass"},
        {.key = "pool_size",
         .type = SettingType::Int,
         .default_value = "10",
         .help = "Connections kept open when idle",
         .min = 1,
         .max = 1000},
        {.key = "max_overflow",
         .type = SettingType::Int,
         .default_value = "20",
         .help = "Connections opened beyond pool_size under load, closed when returned",
         .min = 0,
         .max = 1000},
        {.key = "pool_timeout",
         .type = SettingType::Duration,
         .default_value = "30s",
         .help = "How long a call waits for a free connection before answering 503",
         .min = 0},
        {.key = "pre_ping",
         .type = SettingType::Bool,
         .default_value = "true",
         .help = "Check a pooled connection before use: always without a round trip, and "
                 "with SELECT 1 when it has been idle for a second or more"},
        {.key = "statement_timeout",
         .type = SettingType::Duration,
         .default_value = "30s",
         .help = "Longest a statement (lock waits included) may run before the call answers "
                 "503; the client also gives up on a silent server after this plus "
                 "connect_timeout",
         .min = 1},
        {.key = "connect_timeout",
         .type = SettingType::Duration,
         .default_value = "5s",
         .help = "Longest wait for a new connection (whole seconds, at least 2; a "
                 "connect_timeout in the uri takes precedence)",
         .min = 1000},
        {.key = "commit_outcome_timeout",
         .type = SettingType::Duration,
         .default_value = "5s",
         .help = "When the connection is lost after COMMIT was sent, how long a write keeps "
                 "asking PostgreSQL (pg_xact_status, on a fresh connection) whether it "
                 "committed (plus at most one connect_timeout for an attempt under way) before "
                 "answering 503 with the outcome unknown",
         .min = 0},
        {.key = "schema_owner_uri",
         .type = SettingType::Secret,
         .default_value = "",
         .help = "libpq URI of the role that owns the schema (same database and search_path "
                 "as uri): when set, it creates or migrates the schema at start and grants "
                 "uri's role only what the store needs (no UPDATE or DELETE of audit rows); "
                 "unset, uri's role does everything"},
        {.key = "audit_min_retention_days",
         .type = SettingType::Int,
         .default_value = "0",
         .help = "Audit rows younger than this many days cannot be deleted by the store's "
                 "role, whatever retention asks (enforced in the database; needs "
                 "schema_owner_uri); 0: no floor",
         .min = 0,
         .max = 36500},
        {.key = "change_feed",
         .type = SettingType::Bool,
         .default_value = "false",
         .help = "Queue every accepted version (the trade history) in the change outbox, in "
                 "its transaction, for kafka-source's changes_topic to publish; rows wait "
                 "there until published"},
        {.key = "read_uri",
         .type = SettingType::Secret,
         .default_value = "",
         .help = "Streaming replicas of uri's server for client reads (GET trades, lists, "
                 "books, statistics, audit, history), comma-separated libpq URIs, same rules "
                 "as uri; writes and the ingest path stay on uri. Empty: every read goes to uri"},
        {.key = "max_replica_lag",
         .type = SettingType::Duration,
         .default_value = "5s",
         .help = "A replica whose replay lags the primary by more than this leaves the read "
                 "rotation until it catches up",
         .min = 1},
        {.key = "read_fallback",
         .type = SettingType::Bool,
         .default_value = "true",
         .help = "When no replica can serve a read (down, lagging, behind the X-Min-LSN "
                 "asked for), the primary serves it; false: 503 with Retry-After"},
        {.key = "replica_check_interval",
         .type = SettingType::Duration,
         .default_value = "1s",
         .help = "How often each replica's state and lag are checked",
         .min = 10},
        {.key = "application_name",
         .type = SettingType::String,
         .default_value = "tradestored",
         .help = "Shown in pg_stat_activity (an application_name in the uri takes precedence)"},
    };
}

PostgresStoreOptions postgres_store_options(const Settings& settings) {
    PostgresStoreOptions options;
    pg::PoolOptions& pool = options.pool;
    pg::ConnectionOptions& connection = pool.connection;

    connection.uri = settings.get_string("uri");
    if (connection.uri.empty()) throw std::invalid_argument("postgres-store: uri is empty");
    connection.statement_timeout = settings.get_duration("statement_timeout");
    if (connection.statement_timeout.count() < 1) {
        throw std::invalid_argument("postgres-store: statement_timeout must be at least 1ms");
    }
    connection.connect_timeout = settings.get_duration("connect_timeout");
    if (connection.connect_timeout < std::chrono::seconds{1}) {
        throw std::invalid_argument("postgres-store: connect_timeout must be at least 1s");
    }
    connection.application_name = settings.get_string("application_name");
    options.commit_outcome_timeout = settings.get_duration("commit_outcome_timeout");
    options.change_feed = settings.get_bool("change_feed");
    if (settings.has("schema_owner_uri")) {
        options.schema_owner_uri = settings.get_string("schema_owner_uri");
    }
    options.audit_min_retention_days = settings.get_int("audit_min_retention_days");
    if (options.audit_min_retention_days < 0 || options.audit_min_retention_days > 36500) {
        throw std::invalid_argument(
            "postgres-store: audit_min_retention_days must be between 0 and 36500");
    }
    if (options.audit_min_retention_days > 0 && options.schema_owner_uri.empty()) {
        throw std::invalid_argument(
            "postgres-store: audit_min_retention_days needs schema_owner_uri (only the "
            "schema's owner can set the floor)");
    }

    const std::int64_t pool_size = settings.get_int("pool_size");
    if (pool_size < 1 || pool_size > 1000) {
        throw std::invalid_argument("postgres-store: pool_size must be between 1 and 1000");
    }
    const std::int64_t max_overflow = settings.get_int("max_overflow");
    if (max_overflow < 0 || max_overflow > 1000) {
        throw std::invalid_argument("postgres-store: max_overflow must be between 0 and 1000");
    }
    pool.pool_size = static_cast<std::size_t>(pool_size);
    pool.max_overflow = static_cast<std::size_t>(max_overflow);
    pool.pool_timeout = settings.get_duration("pool_timeout");
    pool.pre_ping = settings.get_bool("pre_ping");

    if (settings.has("read_uri")) {
        for (std::string& uri : settings.get_list("read_uri")) {
            pg::PoolOptions replica = pool;
            replica.connection.uri = std::move(uri);
            options.replicas.replicas.push_back(std::move(replica));
        }
    }
    options.replicas.max_lag = settings.get_duration("max_replica_lag");
    options.replicas.check_interval = settings.get_duration("replica_check_interval");
    options.read_fallback = settings.get_bool("read_fallback");
    return options;
}

std::unique_ptr<Store> create_postgres_store(const Settings& settings) {
    return std::make_unique<PostgresStore>(postgres_store_options(settings));
}

}  // namespace tradestore::plugins
