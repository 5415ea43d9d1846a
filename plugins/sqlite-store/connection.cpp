#include "connection.h"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

#include "sqlite_error.h"

namespace tradestore::plugins::sqlite {

void DatabaseCloser::operator()(sqlite3* db) const noexcept {
    sqlite3_close_v2(db);
}

Connection::Connection(const ConnectionOptions& options, Role role) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (role == Role::Writer) flags |= SQLITE_OPEN_CREATE;
    sqlite3* raw = nullptr;
    const std::string path = options.path.string();
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    db_.reset(raw);  // a handle comes back even on failure and must be closed
    if (rc != SQLITE_OK) throw_error(rc, raw, "open " + path);
    sqlite3_extended_result_codes(raw, 1);

    const auto timeout_ms = std::clamp<std::int64_t>(options.busy_timeout.count(), 0, INT_MAX);
    check(sqlite3_busy_timeout(raw, static_cast<int>(timeout_ms)), raw, "busy_timeout");

    if (role == Role::Writer) {
        // WAL lets readers run while the writer commits; the setting is stored in the file.
        Statement wal(raw, "PRAGMA journal_mode = WAL");
        StatementUse use(wal);
        if (!wal.step() || wal.column_text(0) != "wal") {
            throw std::runtime_error("sqlite-store: cannot switch " + path + " to WAL mode");
        }
    }
    execute(options.synchronous == Synchronous::Full ? "PRAGMA synchronous = FULL"
                                                     : "PRAGMA synchronous = NORMAL");
    // A negative cache_size is in KiB.
    const std::int64_t cache_kib =
        std::clamp<std::int64_t>(options.cache_size_mb, 1, 1 << 20) * 1024;
    execute(("PRAGMA cache_size = -" + std::to_string(cache_kib)).c_str());
    if (role == Role::Reader) execute("PRAGMA query_only = 1");
}

StatementUse Connection::use(Query query) {
    auto& slot = statements_[static_cast<std::size_t>(query)];
    if (!slot) slot.emplace(db_.get(), sql(query));
    return StatementUse(*slot);
}

void Connection::execute(const char* sql_text) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_.get(), sql_text, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
        std::string what = error != nullptr ? error : sqlite3_errstr(rc);
        sqlite3_free(error);
        throw_error(rc, nullptr, what);
    }
}

bool Connection::in_transaction() const {
    return sqlite3_get_autocommit(db_.get()) == 0;
}

Transaction::Transaction(Connection& connection) : connection_(connection) {
    // A transaction left open by a failed ROLLBACK would make BEGIN fail forever.
    if (connection_.in_transaction()) connection_.use(Query::Rollback)->step();
    connection_.use(Query::Begin)->step();
}

Transaction::~Transaction() {
    if (done_ || !connection_.in_transaction()) return;  // SQLite may have rolled back already
    try {
        connection_.use(Query::Rollback)->step();
    } catch (...) {
        // Nothing more to do: the next Transaction retries the rollback.
    }
}

void Transaction::commit() {
    connection_.use(Query::Commit)->step();
    done_ = true;
}

}  // namespace tradestore::plugins::sqlite
