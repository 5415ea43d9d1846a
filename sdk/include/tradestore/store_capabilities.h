// What a store may offer beyond the Store interface, each as a small interface of its own: a
// store implements the ones it has and returns them from Store's accessors (nullptr: it has
// not). The kernel asks once, at start, logs what it found and hands the capabilities to the
// plugins that need them (Host::capabilities()); nothing asks a store whether it can by
// calling and catching.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tradestore/events.h"
#include "tradestore/history.h"
#include "tradestore/idempotency.h"
#include "tradestore/read_replicas.h"
#include "tradestore/store.h"

namespace tradestore {

// The audit outbox: entries not yet shipped to an external audit store (MongoDB), tracked per
// entry, never by a high-water mark on ids, since ids of concurrent transactions become
// visible out of order.
class AuditOutbox {
  public:
    virtual ~AuditOutbox() = default;
    // The unshipped entries, oldest first, at most `limit`.
    virtual std::vector<AuditEntry> unshipped_audit(std::int64_t limit) = 0;
    virtual void mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) = 0;
    // How many entries wait: a cheap count over what marks them unshipped, for a backlog gauge.
    virtual std::int64_t unshipped_audit_count() = 0;
    // Deletes shipped entries older than the cut-off that are not versions of a trade; returns
    // how many. The entries of accepted decisions (CREATE, UPDATE, REPLACE, DELETE, EXPIRE)
    // are the trade history (tradestore/history.h) and stay.
    virtual std::int64_t prune_shipped_audit(Timestamp older_than) = 0;
};

// The event outbox: system events (STARTED, STOPPED, STORE_DOWN, ...) kept durably until
// shipped to an external event store (MongoDB's trade_events). The kernel appends them
// (batched, off the ingest path); the shipper reads the unshipped ones oldest first
// (timestamp, then id), ships them and marks them, per event (never a high-water mark).
class EventOutbox {
  public:
    virtual ~EventOutbox() = default;
    // Idempotent on SystemEvent::id: an event appended again (a retry after a commit whose
    // outcome was unknown) is not stored twice and keeps its first row. Throws
    // std::invalid_argument when an event can never be stored (a NUL byte in its type, say),
    // StoreUnavailable when the store is down.
    virtual void append_events(const std::vector<SystemEvent>& events) = 0;
    virtual std::vector<SystemEvent> unshipped_events(std::int64_t limit) = 0;
    virtual void mark_events_shipped(const std::vector<std::string>& event_ids) = 0;
    // Deletes shipped events older than the cut-off; returns how many. Unshipped events stay.
    virtual std::int64_t prune_shipped_events(Timestamp older_than) = 0;
};

// Idempotency keys (Batch::idempotency): a store that keeps them writes the claims with the
// batch, and answers a key's row while it lasts (expired rows may linger until pruned: the
// caller compares expires_at). Sources refuse keys on a store without them rather than
// ignore them.
class IdempotencyKeys {
  public:
    virtual ~IdempotencyKeys() = default;
    virtual std::optional<StoredAnswer> idempotent_answer(const std::string& key) = 0;
    // Deletes the keys expired at `now`; returns how many.
    virtual std::int64_t prune_idempotency_keys(Timestamp now) = 0;
};

// Job-run claims, for a store shared by several instances: each period of a scheduled job
// (its interval counted from the epoch) runs on one of them. Without this capability every
// instance runs every period, which is right for a store that is never shared.
class JobClaims {
  public:
    virtual ~JobClaims() = default;
    // False when another instance has claimed (or is running) that period.
    virtual bool claim_job_run(const std::string& job, std::int64_t period) = 0;
};

// The capabilities one store offers, as the kernel found them at start. Each pointer lives as
// long as the store; nullptr: not offered.
struct StoreCapabilities {
    TradeHistory* trade_history = nullptr;
    ChangeOutbox* change_outbox = nullptr;
    AuditOutbox* audit_outbox = nullptr;
    EventOutbox* event_outbox = nullptr;
    IdempotencyKeys* idempotency_keys = nullptr;
    JobClaims* job_claims = nullptr;
    ReadReplicas* read_replicas = nullptr;
};

inline StoreCapabilities capabilities_of(Store& store) {
    return {store.trade_history(), store.change_outbox(),    store.audit_outbox(),
            store.event_outbox(),  store.idempotency_keys(), store.job_claims(),
            store.read_replicas()};
}

// "trade history, audit outbox, ...", in the struct's order; "none" when there is none.
inline std::string describe(const StoreCapabilities& capabilities) {
    const std::pair<const void*, const char*> named[] = {
        {capabilities.trade_history, "trade history"},
        {capabilities.change_outbox, "change outbox"},
        {capabilities.audit_outbox, "audit outbox"},
        {capabilities.event_outbox, "event outbox"},
        {capabilities.idempotency_keys, "idempotency keys"},
        {capabilities.job_claims, "job claims"},
        {capabilities.read_replicas, "read replicas"},
    };
    std::string text;
    for (const auto& [offered, name] : named) {
        if (offered == nullptr) continue;
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text.empty() ? "none" : text;
}

}  // namespace tradestore
