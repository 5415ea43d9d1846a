// Trade history: every accepted version of every trade, kept immutable, written in the same
// transaction as the decision that accepted it. A store that keeps history offers this
// interface through Store::trade_history(); one that does not returns nullptr there. A store
// that also queues its history rows for publishing offers ChangeOutbox through
// Store::change_outbox().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tradestore/store.h"
#include "tradestore/trade.h"

namespace tradestore {

// One accepted version. `trade` is the whole trade as that version left it (for a delete: as
// it stood when deleted); its last_updated equals recorded_at.
struct HistoryRecord {
    Trade trade;
    AuditAction action{};                          // Create, Update, Replace, Expire or Delete
    std::optional<std::int64_t> previous_version;  // the version stored before it, if any
    std::string source;                            // "rest", "kafka", "job", ...
    std::string reference;                         // request id, "topic/partition/offset", ...
    // Transaction time, from the store's clock once the trade is locked, and strictly
    // increasing per trade (a version recorded within the same microsecond as the one before,
    // or after the clock stepped back, is recorded one microsecond after it).
    Timestamp recorded_at{};
    Date business_date{};  // the business date the decision was made on

    bool operator==(const HistoryRecord&) const = default;
};

// One trade's versions, oldest first, optionally within [from, to] (inclusive, on
// recorded_at), paged by skip and limit.
struct HistoryQuery {
    std::string trade_id;
    std::int64_t skip = 0;
    std::int64_t limit = 100;
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
};

// The recorded_at of a trade's next version: the clock's `now`, unless the version before was
// recorded at or after it (same microsecond, or the clock stepped back), then just after that.
inline Timestamp next_recorded_at(Timestamp now, std::optional<Timestamp> previous) {
    if (previous && *previous >= now) return *previous + std::chrono::microseconds{1};
    return now;
}

class TradeHistory {
  public:
    virtual ~TradeHistory() = default;
    virtual std::vector<HistoryRecord> history(const HistoryQuery& query) = 0;
    // The trade as recorded at `at`: its last version recorded at or before it (a DELETE
    // when it had been deleted then), or nullopt when none was.
    virtual std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) = 0;
    // Every trade as recorded at `at` (each one's version_at), in trade id order, paged by
    // skip and limit; trades deleted then, or not created yet, are absent.
    virtual std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip,
                                                 std::int64_t limit) = 0;
    // The trades whose version recorded at `at` was in `book_id` (not deleted), in trade id
    // order: a trade that moved into the book later, or out of it before, is absent.
    virtual std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at) = 0;
    // Retention: deletes the versions recorded before `older_than` that a later version, also
    // recorded before it, supersedes. Each trade keeps its last version before the cut-off,
    // so every as-of read at or after the cut-off, and the fold of each trade's history, give
    // what they gave before; a row still waiting in the change outbox stays. Returns how many
    // rows were deleted.
    virtual std::int64_t prune_history(Timestamp older_than) = 0;
};

// One history row as the change outbox holds it: the row's id in the store (unique, and
// increasing with commit order within a trade, so that a consumer of the feed can drop a
// duplicate: an id at or below the last it applied for that trade) and the version.
struct HistoryChange {
    std::int64_t id = 0;
    HistoryRecord record;

    bool operator==(const HistoryChange&) const = default;
};

// The change outbox: every history row appended while the store queues them (a store setting,
// off by default), kept until it has been published (kafka-source's changes_topic). Tracked
// per row, never by a high-water mark on ids: ids of concurrent transactions become visible
// out of order.
class ChangeOutbox {
  public:
    virtual ~ChangeOutbox() = default;
    // The oldest unpublished rows, at most `limit`, in id order (within a trade: commit order).
    virtual std::vector<HistoryChange> unpublished_changes(std::int64_t limit) = 0;
    // Takes the rows out of the outbox; ids that are no longer there are ignored.
    virtual void mark_changes_published(const std::vector<std::int64_t>& ids) = 0;
    // How many rows wait, for a backlog gauge.
    virtual std::int64_t unpublished_change_count() = 0;
};

}  // namespace tradestore
