// A fresh temporary directory per test for the SQLite store, removed afterwards.
#pragma once

#include <filesystem>

#include "sqlite_store.h"
#include "store_contract.h"

namespace tradestore::contract {

class SqliteEnvironment final : public StoreEnvironment {
  public:
    SqliteEnvironment();
    ~SqliteEnvironment() override;

    std::unique_ptr<Store> create_store() override;

    // The database file, in a directory that does not exist before the first open().
    const std::filesystem::path& database() const { return database_; }
    plugins::SqliteStoreOptions options() const;

  private:
    std::filesystem::path directory_;
    std::filesystem::path database_;
};

StoreImplementation sqlite_implementation();

}  // namespace tradestore::contract
