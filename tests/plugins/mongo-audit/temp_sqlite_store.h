// For driving the mongo-audit job without the daemon: a SQLite store in a temporary directory,
// and the shared fake host (tests/support/fake_host.h) to run the job with.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "fake_host.h"
#include "sqlite_store.h"

namespace tradestore::mongo_test {

using test_support::FakeHost;
using test_support::kToday;

// A SQLite store over a fresh temporary directory, opened; removed with the object.
class TempSqliteStore {
  public:
    TempSqliteStore();
    ~TempSqliteStore();

    plugins::SqliteStore& store() { return *store_; }
    // Closes and opens the store again over the same file.
    void reopen();
    void close() { store_->close(); }
    // Runs `sql` on a connection of its own (to play what the Store interface cannot).
    void execute(const std::string& sql);
    void open() { store_->open(); }

    // Applies new trades T<first>..T<first+count-1> (version 1, maturity `maturity`) as one
    // batch with no rules, audited with source "rest".
    void create_trades(int first, int count, Date maturity = kToday + std::chrono::days{30},
                       Date business_date = kToday, std::int64_t version = 1);

  private:
    std::filesystem::path directory_;
    std::unique_ptr<plugins::SqliteStore> store_;
};

}  // namespace tradestore::mongo_test
