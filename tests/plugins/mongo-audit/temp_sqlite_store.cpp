#include "temp_sqlite_store.h"

#include <sqlite3.h>

#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace tradestore::mongo_test {

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

}  // namespace tradestore::mongo_test
