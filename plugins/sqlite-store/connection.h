// One SQLite connection with its pragmas applied and its prepared statements cached.
// A connection is used by one thread at a time (SQLITE_OPEN_NOMUTEX); the store hands it out.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

#include "queries.h"
#include "statement.h"

struct sqlite3;

namespace tradestore::plugins::sqlite {

struct DatabaseCloser {
    void operator()(sqlite3* db) const noexcept;
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;

enum class Synchronous : std::uint8_t { Normal, Full };

struct ConnectionOptions {
    std::filesystem::path path;
    std::chrono::milliseconds busy_timeout{5000};
    Synchronous synchronous = Synchronous::Full;
    std::int64_t cache_size_mb = 64;  // per connection
};

enum class Role : std::uint8_t {
    Writer,  // creates the file, switches it to WAL
    Reader,  // opens an existing file, query_only
};

class Connection {
  public:
    Connection(const ConnectionOptions& options, Role role);

    // The cached prepared statement for `query`, prepared on first use; reset when the
    // returned guard goes out of scope.
    StatementUse use(Query query);
    // Runs one or more statements without results (schema, pragmas).
    void execute(const char* sql);
    // True while a transaction is open on this connection.
    bool in_transaction() const;

    sqlite3* handle() const noexcept { return db_.get(); }

  private:
    DatabaseHandle db_;  // declared first: destroyed after the statements
    std::array<std::optional<Statement>, kQueryCount> statements_;
};

// BEGIN IMMEDIATE on construction (takes the database's write lock), ROLLBACK on destruction
// unless commit() succeeded.
class [[nodiscard]] Transaction {
  public:
    explicit Transaction(Connection& connection);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();

  private:
    Connection& connection_;
    bool done_ = false;
};

}  // namespace tradestore::plugins::sqlite
