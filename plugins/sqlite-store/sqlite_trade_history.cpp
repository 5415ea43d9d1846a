#include "sqlite_trade_history.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "dates.h"
#include "rows.h"

namespace tradestore::plugins::sqlite {

std::vector<HistoryRecord> SqliteTradeHistory::history(const HistoryQuery& query) {
    std::vector<HistoryRecord> records;
    if (query.limit <= 0) return records;
    records.reserve(static_cast<std::size_t>(std::min<std::int64_t>(query.limit, 1000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::HistoryByTrade);
    select->bind_text(1, query.trade_id);
    select->bind_int(
        2, query.from ? to_micros(*query.from) : std::numeric_limits<std::int64_t>::min());
    select->bind_int(3, query.to ? to_micros(*query.to) : std::numeric_limits<std::int64_t>::max());
    select->bind_int(4, query.limit);
    select->bind_int(5, std::max<std::int64_t>(query.skip, 0));
    while (select->step()) records.push_back(read_history(*select));
    return records;
}

std::optional<HistoryRecord> SqliteTradeHistory::version_at(const std::string& trade_id,
                                                            Timestamp at) {
    auto reader = readers_.acquire();
    auto select = reader->use(Query::HistoryAt);
    select->bind_text(1, trade_id);
    select->bind_int(2, to_micros(at));
    if (!select->step()) return std::nullopt;
    return read_history(*select);
}

std::vector<HistoryRecord> SqliteTradeHistory::trades_at(Timestamp at, std::int64_t skip,
                                                         std::int64_t limit) {
    std::vector<HistoryRecord> records;
    if (limit <= 0) return records;
    records.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 1000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::TradesAt);
    select->bind_int(1, to_micros(at));
    select->bind_int(2, limit);
    select->bind_int(3, std::max<std::int64_t>(skip, 0));
    while (select->step()) records.push_back(read_history(*select));
    return records;
}

std::vector<HistoryRecord> SqliteTradeHistory::book_at(const std::string& book_id, Timestamp at) {
    std::vector<HistoryRecord> records;
    auto reader = readers_.acquire();
    auto select = reader->use(Query::BookAt);
    select->bind_text(1, book_id);
    select->bind_int(2, to_micros(at));
    while (select->step()) records.push_back(read_history(*select));
    return records;
}

}  // namespace tradestore::plugins::sqlite
