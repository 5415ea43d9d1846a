// Trades and batches for tests whose subject does not care what a trade holds, only that every
// rule accepts it.
#pragma once

#include <tradestore/store.h>
#include <tradestore/trade.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace tradestore::test_support {

// Counter party "CP", in `book`, created on `today` and maturing ten days later.
inline Trade trade_of(std::string id, std::int64_t version, Date today, std::string book = "B") {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP";
    trade.book_id = std::move(book);
    trade.maturity_date = today + std::chrono::days{10};
    trade.created_date = today;
    return trade;
}

// One candidate from `source`, its reference the trade's id.
inline Batch batch_of(Trade trade, std::string source = "rest") {
    Batch batch;
    std::string reference = trade.trade_id;
    batch.candidates.push_back({std::move(trade), std::move(source), std::move(reference), {}});
    return batch;
}

}  // namespace tradestore::test_support
