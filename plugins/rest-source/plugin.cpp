// The rest-source plugin descriptor.
#include <tradestore/plugin.h>

#include "api/api.h"
#include "auth/auth.h"
#include "rest_config.h"
#include "rest_server.h"

namespace tradestore::rest {
namespace {

std::unique_ptr<Source> create(const Settings& settings) {
    return std::make_unique<RestSource>(config_from_settings(settings), settings);
}

// The job that prunes the expired idempotency keys the source's requests claimed.
std::unique_ptr<Job> create_job(const Settings& settings) {
    return std::make_unique<IdempotencyPruneJob>(
        config_from_settings(settings).idempotency_prune_interval);
}

std::vector<SettingProblem> check(const Settings& settings) {
    std::vector<SettingProblem> problems = check_settings(settings);
    if (!problems.empty()) return problems;
    const RestConfig config = config_from_settings(settings);
    if (config.auth.jwt.enabled()) {
        try {
            JwtVerifier verifier(config.auth.jwt);  // loads the RS256 key
        } catch (const std::exception& e) {
            problems.push_back({"auth.jwt.rs256_public_key", e.what()});
        }
    }
    return problems;
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "rest-source";
    descriptor.version = "1.0.0";
    descriptor.description =
        "HTTP/JSON API under /api/v1 (trades, batch, audit logs, health, statistics)";
    descriptor.kinds = kSourcePlugin | kJobPlugin;
    descriptor.settings = setting_specs();
    descriptor.check_settings = &check;
    descriptor.create_source = &create;
    descriptor.create_job = &create_job;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::rest

TRADESTORE_PLUGIN(tradestore::rest::describe)
