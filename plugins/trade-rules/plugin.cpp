// The trade-rules plugin descriptor.
#include <tradestore/plugin.h>

#include "trade_rules.h"

namespace tradestore::plugins {
namespace {

std::unique_ptr<Rule> create(const Settings& settings) {
    return std::make_unique<TradeRules>(settings.get_bool("check_version"),
                                        settings.get_bool("check_maturity"));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "trade-rules";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Rejects lower versions (LOWER_VERSION) and maturity dates before the business date "
        "(MATURITY_IN_PAST)";
    descriptor.kinds = kRulePlugin;
    descriptor.settings = {
        {"check_version", SettingType::Bool, "true", false,
         "Reject a version lower than the stored one (the store's guard holds regardless)"},
        {"check_maturity", SettingType::Bool, "true", false,
         "Reject a maturity date before today's business date"},
    };
    descriptor.create_rule = &create;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::plugins

TRADESTORE_PLUGIN(tradestore::plugins::describe)
