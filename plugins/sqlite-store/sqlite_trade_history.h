// Trade history of the SQLite store: the version entries of audit_log (see schema.cpp's
// version 5) that apply(), remove() and expire() write, read on a pooled reader connection
// like every read.
#pragma once

#include <tradestore/history.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reader_pool.h"

namespace tradestore::plugins::sqlite {

class SqliteTradeHistory final : public TradeHistory {
  public:
    // `prune`: runs PruneHistory on the store's writer (see prune_history).
    SqliteTradeHistory(ReaderPool& readers, std::function<std::int64_t(Timestamp)> prune)
        : readers_(readers), prune_(std::move(prune)) {}

    // One statement: the trade's range of audit_log_trade_recorded (trade_id, recorded_at,
    // id), in its order.
    std::vector<HistoryRecord> history(const HistoryQuery& query) override;
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) override;
    // One statement each (one snapshot): per candidate trade in id order, one probe of that
    // index for its version at `at`. Candidates: every live row and tombstone; for a book,
    // the live trades in it now or before (trades.former_books, one scan of trades) and
    // book_departures' (deleted trades; see schema.cpp's version 6).
    std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip,
                                         std::int64_t limit) override;
    std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at) override;
    // The store's PruneHistory (queries.cpp), in chunks of write transactions.
    std::int64_t prune_history(Timestamp older_than) override { return prune_(older_than); }

  private:
    ReaderPool& readers_;
    std::function<std::int64_t(Timestamp)> prune_;
};

}  // namespace tradestore::plugins::sqlite
