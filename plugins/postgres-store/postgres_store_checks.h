// The postgres-store's own config checks, run by --check-config, at start and on reload
// without connecting: connection strings that libpq can parse, an sslmode it knows, TLS files
// that can be read, and settings that need one another.
#pragma once

#include <tradestore/settings.h>

#include <vector>

namespace tradestore::plugins {

std::vector<SettingProblem> check_postgres_store_settings(const Settings& settings);

}  // namespace tradestore::plugins
