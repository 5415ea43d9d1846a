// Trade history of the SQLite store: the version entries of audit_log (see schema.cpp's
// version 5) that apply(), remove() and expire() write, read on a pooled reader connection
// like every read.
#pragma once

#include <tradestore/history.h>

#include <optional>
#include <string>
#include <vector>

#include "reader_pool.h"

namespace tradestore::plugins::sqlite {

class SqliteTradeHistory final : public TradeHistory {
  public:
    explicit SqliteTradeHistory(ReaderPool& readers) : readers_(readers) {}

    // One statement: the trade's range of audit_log_trade_id (trade_id, id), in its order.
    std::vector<HistoryRecord> history(const HistoryQuery& query) override;
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) override;

  private:
    ReaderPool& readers_;
};

}  // namespace tradestore::plugins::sqlite
