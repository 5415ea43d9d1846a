#include "statement.h"

#include <sqlite3.h>

#include <climits>
#include <string>

#include "sqlite_error.h"

namespace tradestore::plugins::sqlite {

void StatementFinalizer::operator()(sqlite3_stmt* statement) const noexcept {
    sqlite3_finalize(statement);
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sql.size() > INT_MAX) throw std::length_error("sqlite-store: statement too long");
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    statement_.reset(raw);
    if (rc != SQLITE_OK) throw_error(rc, db, "prepare " + std::string(sql.substr(0, 60)));
    if (!statement_) throw std::runtime_error("sqlite-store: empty statement");
}

void Statement::bind_text(int index, std::string_view text) {
    // A null pointer would bind SQL NULL; an empty view must bind ''.
    const char* data = text.data() != nullptr ? text.data() : "";
    check(
        sqlite3_bind_text64(statement_.get(), index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8),
        db_, "bind");
}

void Statement::bind_int(int index, std::int64_t value) {
    check(sqlite3_bind_int64(statement_.get(), index, value), db_, "bind");
}

void Statement::bind_optional(int index, const std::optional<std::int64_t>& value) {
    if (value) {
        bind_int(index, *value);
    } else {
        check(sqlite3_bind_null(statement_.get(), index), db_, "bind");
    }
}

bool Statement::step() {
    const int rc = sqlite3_step(statement_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(rc, db_, std::string_view(sqlite3_sql(statement_.get())).substr(0, 80));
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() noexcept {
    sqlite3_reset(statement_.get());
    sqlite3_clear_bindings(statement_.get());
}

std::int64_t Statement::column_int(int column) const {
    return sqlite3_column_int64(statement_.get(), column);
}

bool Statement::column_is_null(int column) const {
    return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL;
}

std::string_view Statement::column_text(int column) const {
    const auto* text = sqlite3_column_text(statement_.get(), column);
    if (text == nullptr) return {};
    const int size = sqlite3_column_bytes(statement_.get(), column);
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

}  // namespace tradestore::plugins::sqlite
