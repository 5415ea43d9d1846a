// The mongo-audit's own config checks, run by --check-config, at start and on reload without
// connecting: a connection string the driver parses, TLS files that can be read, a database
// name MongoDB accepts.
#pragma once

#include <tradestore/settings.h>

#include <vector>

namespace tradestore::plugins::mongo {

std::vector<SettingProblem> check_mongo_audit_settings(const Settings& settings);

}  // namespace tradestore::plugins::mongo
