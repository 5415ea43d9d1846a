// The mongo-audit plugin's settings: the schema it declares and the values it runs with.
#pragma once

#include <tradestore/settings.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tradestore::plugins::mongo {

struct MongoAuditSettings {
    std::string uri;  // secret: may hold a password
    std::string database = "tradestore";
    std::int64_t batch_size = 1000;
    std::chrono::milliseconds interval{1000};
    std::int64_t retention_days = 0;                   // 0: keep MongoDB documents for ever
    std::optional<std::int64_t> store_retention_days;  // unset: as retention_days; 0: never
    std::chrono::milliseconds retention_interval{3'600'000};

    // Days after which shipped entries are pruned from the store, 0 when never.
    std::int64_t effective_store_retention_days() const {
        return store_retention_days.value_or(retention_days);
    }
};

std::vector<SettingSpec> mongo_audit_setting_specs();
MongoAuditSettings read_mongo_audit_settings(const Settings& settings);

}  // namespace tradestore::plugins::mongo
