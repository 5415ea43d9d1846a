// The client reads of a PostgresStore that must see every commit up to a position (a
// client's own write, named by its X-Min-LSN): what ReadReplicas::reader_after() returns.
#pragma once

#include <tradestore/history.h>
#include <tradestore/store.h>

#include "postgres_store.h"

namespace tradestore::plugins {

class FlooredReader final : public StoreReader, public TradeHistory {
  public:
    FlooredReader(PostgresStore& store, ReadFloor floor) : store_(store), floor_(floor) {}

    std::optional<Trade> get(const std::string& trade_id, Date business_date) override {
        return store_.get(trade_id, business_date, floor_);
    }
    std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date business_date) override {
        return store_.list(skip, limit, business_date, floor_);
    }
    std::vector<Trade> list_by_book(const std::string& book_id, Date business_date) override {
        return store_.list_by_book(book_id, business_date, floor_);
    }
    Statistics statistics(Date business_date) override {
        return store_.statistics(business_date, floor_);
    }
    std::vector<AuditEntry> audit(const AuditQuery& query) override {
        return store_.audit(query, floor_);
    }
    std::int64_t audit_count(const std::optional<std::string>& trade_id) override {
        return store_.audit_count(trade_id, floor_);
    }
    TradeHistory* trade_history() override { return this; }

    std::vector<HistoryRecord> history(const HistoryQuery& query) override {
        return store_.history(query, floor_);
    }
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) override {
        return store_.version_at(trade_id, at, floor_);
    }
    std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip,
                                         std::int64_t limit) override {
        return store_.trades_at(at, skip, limit, floor_);
    }
    std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at) override {
        return store_.book_at(book_id, at, floor_);
    }
    // Not a read: the store's own.
    std::int64_t prune_history(Timestamp older_than) override {
        return store_.prune_history(older_than);
    }

  private:
    PostgresStore& store_;
    const ReadFloor floor_;
};

}  // namespace tradestore::plugins
