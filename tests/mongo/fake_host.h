// Test doubles for driving the mongo-audit job without the daemon: a SQLite store in a
// temporary directory, and a Host that records log lines.
#pragma once

#include <tradestore/host.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sqlite_store.h"

namespace tradestore::mongo_test {

inline constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

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

class FakeHost final : public Host {
  public:
    explicit FakeHost(Store& store) : store_(store) {}

    IngestSink& ingest() override;
    StoreReader& store() override { return store_; }
    // Asked anew each time: the store may have been reopened, or be a test's own.
    const StoreCapabilities& capabilities() const override {
        capabilities_ = capabilities_of(store_);
        return capabilities_;
    }
    const BusinessClock& clock() const override { return clock_; }
    const TradeCodec& codec() const override;
    void log(LogLevel level, std::string_view component, std::string_view message) override;
    HealthReport health() override { return {}; }
    std::string_view version() const override { return "test"; }
    std::int64_t expire_now(const std::string& source) override {
        return store_.expire(kToday, source);
    }

    void emit_event(std::string_view event_type, EventSeverity severity,
                    std::string_view data_json) override;
    EventBatch take_events(std::size_t max) override;

    // Log lines at `level` or above, "component: message".
    std::vector<std::string> lines(LogLevel at_least = LogLevel::Debug) const;
    std::size_t count_containing(std::string_view text) const;

  private:
    Store& store_;
    mutable StoreCapabilities capabilities_;
    FixedClock clock_{kToday};
    mutable std::mutex mutex_;
    std::vector<std::pair<LogLevel, std::string>> lines_;
    std::vector<SystemEvent> events_;
    std::int64_t next_event_ = 0;
};

}  // namespace tradestore::mongo_test
