// RAII for sqlite3_stmt: a prepared statement kept for the life of its connection and reused
// with sqlite3_reset, and a guard that resets it when a use ends (so that no statement keeps
// a read snapshot or a half-stepped write open).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace tradestore::plugins::sqlite {

struct StatementFinalizer {
    void operator()(sqlite3_stmt* statement) const noexcept;
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

class Statement {
  public:
    // Prepares `sql` (one statement) for repeated use; throws on a syntax error.
    Statement(sqlite3* db, std::string_view sql);

    // Binds without copying (SQLITE_STATIC): `text` must stay alive until reset().
    void bind_text(int index, std::string_view text);
    void bind_int(int index, std::int64_t value);
    void bind_optional(int index, const std::optional<std::int64_t>& value);

    // Steps once: true when a row is ready, false when the statement is done.
    bool step();
    // Steps to completion, discarding any rows (RETURNING rows are read with step()).
    void run();
    // Resets and clears the bindings; never throws (an earlier step already reported).
    void reset() noexcept;

    std::int64_t column_int(int column) const;
    bool column_is_null(int column) const;
    // Valid until the next step() or reset().
    std::string_view column_text(int column) const;

  private:
    sqlite3* db_;
    StatementHandle statement_;
};

// Resets the statement when the scope ends, however it ends.
class [[nodiscard]] StatementUse {
  public:
    explicit StatementUse(Statement& statement) noexcept : statement_(statement) {}
    ~StatementUse() { statement_.reset(); }
    StatementUse(const StatementUse&) = delete;
    StatementUse& operator=(const StatementUse&) = delete;

    Statement* operator->() const noexcept { return &statement_; }
    Statement& operator*() const noexcept { return statement_; }

  private:
    Statement& statement_;
};

}  // namespace tradestore::plugins::sqlite
