// The mongo-audit plugin descriptor.
#include <tradestore/plugin.h>

#include "mongo_audit_checks.h"
#include "mongo_audit_job.h"

namespace tradestore::plugins::mongo {
namespace {

std::unique_ptr<Job> create(const Settings& settings) {
    return std::make_unique<MongoAuditJob>(read_mongo_audit_settings(settings));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "mongo-audit";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Ships the store's audit outbox to MongoDB (audit_logs, trade_events), with retention";
    descriptor.kinds = kJobPlugin;
    descriptor.settings = mongo_audit_setting_specs();
    descriptor.check_settings = &check_mongo_audit_settings;
    descriptor.create_job = &create;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::plugins::mongo

TRADESTORE_PLUGIN(tradestore::plugins::mongo::describe)
