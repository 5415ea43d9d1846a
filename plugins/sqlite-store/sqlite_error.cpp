#include "sqlite_error.h"

#include <sqlite3.h>
#include <tradestore/store.h>

#include <stdexcept>
#include <string>

namespace tradestore::plugins::sqlite {

bool is_unavailable(int result_code) {
    switch (result_code & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_PROTOCOL:
        case SQLITE_NOMEM:
            return true;
        default:
            return false;
    }
}

void throw_error(int result_code, sqlite3* db, std::string_view what) {
    std::string message = "sqlite-store: ";
    message += what;
    message += ": ";
    // The connection's message names the failure more precisely than the code's text, but
    // only when it belongs to this code.
    if (db != nullptr && sqlite3_extended_errcode(db) == result_code) {
        message += sqlite3_errmsg(db);
    } else {
        message += sqlite3_errstr(result_code);
    }
    message += " (code " + std::to_string(result_code) + ")";
    if (is_unavailable(result_code)) throw StoreUnavailable(message);
    throw std::runtime_error(message);
}

}  // namespace tradestore::plugins::sqlite
