// Reads of the SQLite store, each on a pooled reader connection. Every read is one statement,
// which sees one committed snapshot (WAL); its guard resets it so the snapshot ends with it.
#include <algorithm>

#include "dates.h"
#include "rows.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

namespace {

// A read never shows a matured trade as active, whether or not expire() has marked it.
Trade as_of(Trade trade, Date business_date) {
    trade.expired = is_expired(trade, business_date);
    return trade;
}

}  // namespace

std::optional<Trade> SqliteStore::get(const std::string& trade_id, Date business_date) {
    auto reader = readers_.acquire();
    auto select = reader->use(Query::SelectTrade);
    select->bind_text(1, trade_id);
    if (!select->step()) return std::nullopt;
    return as_of(sqlite::read_trade(*select), business_date);
}

std::vector<Trade> SqliteStore::list(std::int64_t skip, std::int64_t limit, Date business_date) {
    std::vector<Trade> trades;
    if (limit <= 0) return trades;
    trades.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 1000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::ListTrades);
    select->bind_int(1, limit);
    select->bind_int(2, std::max<std::int64_t>(skip, 0));
    while (select->step()) trades.push_back(as_of(sqlite::read_trade(*select), business_date));
    return trades;
}

std::vector<Trade> SqliteStore::list_by_book(const std::string& book_id, Date business_date) {
    std::vector<Trade> trades;
    auto reader = readers_.acquire();
    auto select = reader->use(Query::ListTradesByBook);
    select->bind_text(1, book_id);
    while (select->step()) trades.push_back(as_of(sqlite::read_trade(*select), business_date));
    return trades;
}

Statistics SqliteStore::statistics(Date business_date) {
    const std::string date = format_date(business_date);
    auto reader = readers_.acquire();
    auto select = reader->use(Query::Statistics);
    select->bind_text(1, date);
    Statistics statistics;
    if (select->step()) {
        statistics.total_trades = select->column_int(0);
        statistics.expired_trades = select->column_int(1);
        statistics.active_trades = statistics.total_trades - statistics.expired_trades;
    }
    return statistics;
}

std::vector<AuditEntry> SqliteStore::audit(const AuditQuery& query) {
    std::vector<AuditEntry> entries;
    if (query.limit <= 0) return entries;
    entries.reserve(static_cast<std::size_t>(std::min<std::int64_t>(query.limit, 1000)));
    auto reader = readers_.acquire();
    auto select = reader->use(query.trade_id ? Query::AuditByTrade : Query::AuditAll);
    select->bind_int(1, query.limit);
    select->bind_int(2, std::max<std::int64_t>(query.skip, 0));
    if (query.trade_id) select->bind_text(3, *query.trade_id);
    while (select->step()) entries.push_back(sqlite::read_audit(*select));
    return entries;
}

std::int64_t SqliteStore::audit_count(const std::optional<std::string>& trade_id) {
    auto reader = readers_.acquire();
    auto select = reader->use(trade_id ? Query::AuditCountByTrade : Query::AuditCountAll);
    if (trade_id) select->bind_text(1, *trade_id);
    return select->step() ? select->column_int(0) : 0;
}

std::optional<std::int64_t> SqliteStore::position(const std::string& source,
                                                  const std::string& stream,
                                                  std::int32_t partition) {
    auto reader = readers_.acquire();
    auto select = reader->use(Query::SelectPosition);
    select->bind_text(1, source);
    select->bind_text(2, stream);
    select->bind_int(3, partition);
    if (!select->step()) return std::nullopt;
    return select->column_int(0);
}

bool SqliteStore::healthy() {
    try {
        auto reader = readers_.acquire();
        auto ping = reader->use(Query::Ping);
        return ping->step() && ping->column_int(0) == 1;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace tradestore::plugins
