// The rest-source plugin descriptor.
#include <tradestore/plugin.h>

#include "rest_config.h"
#include "rest_server.h"

namespace tradestore::rest {
namespace {

std::unique_ptr<Source> create(const Settings& settings) {
    return std::make_unique<RestSource>(config_from_settings(settings));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "rest-source";
    descriptor.version = "1.0.0";
    descriptor.description =
        "HTTP/JSON API under /api/v1 (trades, batch, audit logs, health, statistics)";
    descriptor.kinds = kSourcePlugin;
    descriptor.settings = setting_specs();
    descriptor.create_source = &create;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::rest

TRADESTORE_PLUGIN(tradestore::rest::describe)
