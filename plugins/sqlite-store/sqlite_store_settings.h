// The sqlite-store plugin's settings: the schema it declares and their translation into
// SqliteStoreOptions.
#pragma once

#include <tradestore/settings.h>
#include <tradestore/store.h>

#include <memory>
#include <vector>

#include "sqlite_store.h"

namespace tradestore::plugins {

std::vector<SettingSpec> sqlite_store_settings();

// Validated options from the kernel-validated settings; throws std::invalid_argument with a
// one-line message naming the setting when a value is out of its domain.
SqliteStoreOptions sqlite_store_options(const Settings& settings);

// What the schema cannot see: the database file can be created or written (checked with a
// probe, not by creating the database).
std::vector<SettingProblem> check_sqlite_store_settings(const Settings& settings);

// The plugin's store factory.
std::unique_ptr<Store> create_sqlite_store(const Settings& settings);

}  // namespace tradestore::plugins
