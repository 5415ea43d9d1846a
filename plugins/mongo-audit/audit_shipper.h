// Ships the store's audit outbox to MongoDB: read the oldest unshipped entries, insert them
// (a resend of an entry already there is harmless: its _id is the audit id), write the events
// they imply, then mark them shipped in the store. A crash or an error between the insert and
// the mark only means the next run sends the batch again. The store's event outbox (the
// kernel's STARTED, STOPPED, STORE_DOWN, ...) ships the same way, each event's id as _id.
#pragma once

#include <tradestore/store_capabilities.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "mongo_sink.h"

namespace tradestore::plugins::mongo {

// A store call of the shipper failed (StoreUnavailable, or any other error from the store).
class StoreFailure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ShipReport {
    std::int64_t shipped = 0;        // entries marked shipped
    std::int64_t already_there = 0;  // of those, found in MongoDB already (a resend)
    std::int64_t batches = 0;
    std::int64_t events = 0;         // events written (TRADES_EXPIRED, DEAD_LETTERED)
    bool store_reached = false;      // the outbox was read at least once
    bool drained = false;            // the outbox was empty when the run ended
    std::int64_t system_events = 0;  // events shipped from the event outbox and marked
};

class AuditShipper {
  public:
    AuditShipper(MongoSink& sink, std::int64_t batch_size) : sink_(sink), batch_size_(batch_size) {}

    // Ships batches, oldest entries first, until the outbox is empty or `deadline` has
    // passed (the batch in flight completes). Progress so far is in `report` even when it
    // throws: StoreFailure or MongoError.
    void ship(AuditOutbox& outbox, std::chrono::steady_clock::time_point deadline,
              ShipReport& report);

    // Ships the event outbox the same way, oldest first, until it is empty or `deadline`
    // has passed. Throws StoreFailure or MongoError.
    void ship_events(EventOutbox& outbox, std::chrono::steady_clock::time_point deadline,
                     ShipReport& report);

  private:
    MongoSink& sink_;
    std::int64_t batch_size_;
};

struct RetentionReport {
    std::int64_t audit_logs_deleted = 0;
    std::int64_t trade_events_deleted = 0;
    std::int64_t store_pruned = 0;
    std::int64_t store_events_pruned = 0;
};

// Deletes audit_logs and trade_events documents older than `mongo_cutoff` (when set), and
// prunes shipped entries and events older than `store_cutoff` (when set) from the store's audit
// outbox and event outbox (each when it has one). Entries and events not shipped yet are never
// pruned.
RetentionReport apply_retention(MongoSink& sink, AuditOutbox* audit, EventOutbox* events,
                                std::optional<Timestamp> mongo_cutoff,
                                std::optional<Timestamp> store_cutoff);

}  // namespace tradestore::plugins::mongo
