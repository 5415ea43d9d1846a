// The postgres-store plugin's settings: the schema it declares and their translation into
// PostgresStoreOptions.
#pragma once

#include <tradestore/settings.h>
#include <tradestore/store.h>

#include <memory>
#include <vector>

#include "postgres_store.h"

namespace tradestore::plugins {

std::vector<SettingSpec> postgres_store_settings();

// Validated options from the kernel-validated settings; throws std::invalid_argument with a
// one-line message naming the setting when a value is out of its domain.
PostgresStoreOptions postgres_store_options(const Settings& settings);

// The plugin's store factory.
std::unique_ptr<Store> create_postgres_store(const Settings& settings);

}  // namespace tradestore::plugins
