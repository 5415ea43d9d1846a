// Reading rows from statements into SDK types.
#pragma once

#include <tradestore/history.h>
#include <tradestore/store.h>
#include <tradestore/trade.h>

#include <string_view>

#include "statement.h"

namespace tradestore::plugins::sqlite {

// The current row of a trade query (columns as in queries.h, trade_column), as stored.
Trade read_trade(const Statement& statement);
// The current row of an audit query (columns as in queries.h, audit_column).
AuditEntry read_audit(const Statement& statement);
// The current row of HistoryByTrade (columns as in queries.h, history_column).
HistoryRecord read_history(const Statement& statement);

AuditAction parse_action(std::string_view text);

}  // namespace tradestore::plugins::sqlite
