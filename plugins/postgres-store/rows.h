// Rows as the store's queries select them, turned into SDK types.
#pragma once

#include <tradestore/history.h>
#include <tradestore/store.h>

#include "connection.h"

namespace tradestore::plugins::pg {

// A trade from the columns in trade_column order, starting at column 0.
Trade read_trade(const Result& result, int row);
// An audit entry from the columns in audit_column order.
AuditEntry read_audit(const Result& result, int row);
AuditAction parse_action(std::string_view text);
// A history row from the trade columns and then the history_column ones.
HistoryRecord read_history(const Result& result, int row);

inline std::int64_t to_days(Date date) {
    return date.time_since_epoch().count();
}
inline Date from_days(std::int64_t days) {
    return Date{std::chrono::days{days}};
}

}  // namespace tradestore::plugins::pg
