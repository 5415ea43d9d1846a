// The expiry-scheduler plugin descriptor.
#include <tradestore/plugin.h>

#include "expiry_job.h"

namespace tradestore::plugins {
namespace {

std::unique_ptr<Job> create(const Settings& settings) {
    return std::make_unique<ExpiryJob>(settings.get_duration("interval"),
                                       settings.get_bool("run_at_start"));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "expiry-scheduler";
    descriptor.version = "1.0.0";
    descriptor.description = "Marks trades whose maturity date has passed as expired";
    descriptor.kinds = kJobPlugin;
    descriptor.settings = {
        {"interval", SettingType::Duration, "1h", false, "Time between expiry runs", 1000},
        {"run_at_start", SettingType::Bool, "true", false, "Also run once when the daemon starts"},
    };
    descriptor.create_job = &create;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::plugins

TRADESTORE_PLUGIN(tradestore::plugins::describe)
