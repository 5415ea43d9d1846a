#include "fake_host.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace tradestore::mongo_test {
namespace {

class NoIngest final : public IngestSink {
  public:
    void submit(Batch, std::function<void(IngestResult)>) override {
        throw std::logic_error("the mongo-audit job never ingests");
    }
    std::optional<std::int64_t> position(const std::string&, const std::string&,
                                         std::int32_t) override {
        return std::nullopt;
    }
};

class NoCodec final : public TradeCodec {
  public:
    DecodedOne decode_trade(std::string_view) const override { throw unused(); }
    DecodedBatch decode_batch(std::string_view, std::size_t) const override { throw unused(); }
    std::vector<FieldError> check_trade_id(std::string_view) const override { throw unused(); }
    void append_trade(std::string&, const Trade&, Date) const override { throw unused(); }
    void append_trades(std::string&, const std::vector<Trade>&, Date) const override {
        throw unused();
    }
    void append_audit(std::string&, const AuditEntry&) const override { throw unused(); }
    void append_history_record(std::string&, const HistoryRecord&,
                               std::optional<std::int64_t>) const override {
        throw unused();
    }
    void append_field_errors(std::string&, const std::vector<FieldError>&) const override {
        throw unused();
    }

  private:
    static std::logic_error unused() {
        return std::logic_error("the mongo-audit job has no codec");
    }
};

}  // namespace

TempSqliteStore::TempSqliteStore() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tradestore-mongo-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    directory_ = pattern;
    plugins::SqliteStoreOptions options;
    options.connection.path = directory_ / "trades.db";
    options.connection.synchronous = plugins::sqlite::Synchronous::Normal;
    store_ = std::make_unique<plugins::SqliteStore>(options);
    store_->open();
}

TempSqliteStore::~TempSqliteStore() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
}

void TempSqliteStore::execute(const std::string& sql) {
    sqlite3* db = nullptr;
    const std::string path = (directory_ / "trades.db").string();
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    const std::string error = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    if (rc != SQLITE_OK) throw std::runtime_error(sql + ": " + error);
}

void TempSqliteStore::reopen() {
    store_->close();
    store_->open();
}

void TempSqliteStore::create_trades(int first, int count, Date maturity, Date business_date,
                                    std::int64_t version) {
    Batch batch;
    for (int i = first; i < first + count; ++i) {
        Trade trade;
        trade.trade_id = "T" + std::to_string(i);
        trade.version = version;
        trade.counter_party_id = "CP-1";
        trade.book_id = "B1";
        trade.maturity_date = maturity;
        trade.created_date = business_date;
        batch.candidates.push_back({std::move(trade), "rest", "req-" + std::to_string(i), {}});
    }
    store_->apply(batch, {}, business_date);
}

IngestSink& FakeHost::ingest() {
    static NoIngest ingest;
    return ingest;
}

const TradeCodec& FakeHost::codec() const {
    static const NoCodec codec;
    return codec;
}

void FakeHost::log(LogLevel level, std::string_view component, std::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.emplace_back(level, std::string(component) + ": " + std::string(message));
}

void FakeHost::emit_event(std::string_view event_type, EventSeverity severity,
                          std::string_view data_json) {
    std::lock_guard lock(mutex_);
    events_.push_back(
        {std::string(event_type) + ":" + std::to_string(++next_event_), std::string(event_type),
         severity, std::string(data_json),
         std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now())});
}

EventBatch FakeHost::take_events(std::size_t max) {
    std::lock_guard lock(mutex_);
    EventBatch batch;
    const std::size_t count = std::min(max, events_.size());
    batch.events.assign(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(count));
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(count));
    return batch;
}

std::vector<std::string> FakeHost::lines(LogLevel at_least) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [level, line] : lines_) {
        if (level >= at_least) out.push_back(line);
    }
    return out;
}

std::size_t FakeHost::count_containing(std::string_view text) const {
    std::lock_guard lock(mutex_);
    std::size_t count = 0;
    for (const auto& line : lines_) {
        if (line.second.find(text) != std::string::npos) ++count;
    }
    return count;
}

}  // namespace tradestore::mongo_test
