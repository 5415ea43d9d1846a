#include "mongo_audit_settings.h"

namespace tradestore::plugins::mongo {

std::vector<SettingSpec> mongo_audit_setting_specs() {
    return {
        {"uri", SettingType::Secret, "", true,
         "MongoDB connection string, e.g. mongodb://${MONGO_USER}:${MONGO_PASSWORD}@host:27017/"
         "?authSource=admin&tls=true; auth and TLS options go in it. Never logged. Leave "
         "compressors unset (FerretDB refuses compressed messages)"},
        {"database", SettingType::String, "tradestore", false,
         "Database holding audit_logs and trade_events"},
        {"batch_size", SettingType::Int, "1000", false,
         "Most audit entries read from the store and inserted into MongoDB at once", 1, 100'000},
        {"interval", SettingType::Duration, "1s", false,
         "Time between shipping runs; a run ships until the outbox is empty or this much time "
         "has passed",
         100, 3'600'000},
        {"retention_days", SettingType::Int, "0", false,
         "Delete audit_logs and trade_events documents older than this many days (0: keep for "
         "ever)",
         0, 365'000},
        {"store_retention_days", SettingType::Int, "", false,
         "Prune shipped entries and events older than this many days from the store's own "
         "audit table and event outbox (unset: retention_days; 0: never). Entries and events "
         "not shipped yet are never pruned",
         0, 365'000},
        {"retention_interval", SettingType::Duration, "1h", false,
         "Time between retention runs (the first runs at start)", 1000, 7 * 86'400'000LL},
    };
}

MongoAuditSettings read_mongo_audit_settings(const Settings& settings) {
    MongoAuditSettings values;
    values.uri = settings.get_string("uri");
    values.database = settings.get_string("database");
    values.batch_size = settings.get_int("batch_size");
    values.interval = settings.get_duration("interval");
    values.retention_days = settings.get_int("retention_days");
    if (settings.has("store_retention_days") &&
        !settings.get_string("store_retention_days").empty()) {
        values.store_retention_days = settings.get_int("store_retention_days");
    }
    values.retention_interval = settings.get_duration("retention_interval");
    return values;
}

}  // namespace tradestore::plugins::mongo
