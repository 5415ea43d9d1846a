#include "sqlstate.h"

namespace tradestore::plugins::pg {
namespace {

bool in_class(std::string_view sqlstate, std::string_view error_class) {
    return sqlstate.substr(0, 2) == error_class;
}

}  // namespace

ErrorKind classify(std::string_view sqlstate) noexcept {
    // The session is gone: no SQLSTATE (lost on the client's side), connection exceptions
    // (08), the server shutting down or crashing (57P01..57P03), the database dropped
    // (57P04), idle timeouts (25P03, 57P05).
    if (sqlstate.empty() || in_class(sqlstate, "08") || sqlstate == "57P01" ||
        sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "57P04" || sqlstate == "57P05" ||
        sqlstate == "25P03") {
        return ErrorKind::SessionEnded;
    }
    // Worth a retry later: serialization failure (40001), deadlock (40P01), insufficient
    // resources (53: disk full, out of memory, too many connections), lock not available
    // (55P03), statement timeout or cancel (57014), system and I/O errors (58), and a
    // read-only server (25006: a standby, e.g. during a failover).
    if (sqlstate == "40001" || sqlstate == "40P01" || in_class(sqlstate, "53") ||
        sqlstate == "55P03" || sqlstate == "57014" || in_class(sqlstate, "58") ||
        sqlstate == "25006") {
        return ErrorKind::Transient;
    }
    // The same data fails again: data exceptions (22: invalid byte sequence 22021,
    // untranslatable character 22P05, ...), integrity constraints (23), program limits
    // (54: an index row too large, 54000).
    if (in_class(sqlstate, "22") || in_class(sqlstate, "23") || in_class(sqlstate, "54")) {
        return ErrorKind::Refused;
    }
    return ErrorKind::Other;
}

}  // namespace tradestore::plugins::pg
