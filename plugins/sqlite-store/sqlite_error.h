// Turning SQLite result codes into the store's exceptions.
#pragma once

#include <string_view>

struct sqlite3;

namespace tradestore::plugins::sqlite {

// True for result codes that mean "the database is busy, locked, full or unreachable":
// transient from the caller's point of view, reported as tradestore::StoreUnavailable.
bool is_unavailable(int result_code);

// Throws tradestore::StoreUnavailable for busy/locked/IO/full/can't-open errors and
// std::runtime_error for everything else. `db` may be null; its message is added otherwise.
[[noreturn]] void throw_error(int result_code, sqlite3* db, std::string_view what);

// Throws (as above) unless result_code is SQLITE_OK.
inline void check(int result_code, sqlite3* db, std::string_view what) {
    if (result_code != 0) throw_error(result_code, db, what);
}

}  // namespace tradestore::plugins::sqlite
