// A storage backend. The store is the only component that knows its query language; it
// applies whole batches in one transaction, running the rule chain against the rows it has
// locked, and writes an audit entry for every decision in that same transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/events.h"
#include "tradestore/idempotency.h"
#include "tradestore/outcome.h"
#include "tradestore/rule.h"
#include "tradestore/trade.h"

namespace tradestore {

class TradeHistory;     // tradestore/history.h
class ChangeOutbox;     // tradestore/history.h
class AuditOutbox;      // tradestore/store_capabilities.h
class EventOutbox;      // tradestore/store_capabilities.h
class IdempotencyKeys;  // tradestore/store_capabilities.h
class JobClaims;        // tradestore/store_capabilities.h

// Where a message came from in a partitioned stream (Kafka: topic, partition, offset). A store
// keeps the last applied offset of every partition and, in the same transaction as the
// decisions, skips every item at or below it: a replay after a crash, a retry after a COMMIT
// whose outcome was unknown, or a batch of a consumer that has lost its partition.
struct Origin {
    static constexpr std::int64_t kNoOffset = -1;

    std::string stream;
    std::int32_t partition = 0;
    std::int64_t offset = kNoOffset;  // kNoOffset: not from a partitioned stream (REST, jobs)

    bool positioned() const noexcept { return offset >= 0; }
    bool operator==(const Origin&) const = default;
};

// A candidate trade with where it came from: the source for the audit ("rest", "kafka",
// "job"), a reference that lets an operator find the request or message again (REST: the
// request id; Kafka: "topic/partition/offset") and, for a partitioned stream, its origin.
struct Candidate {
    Trade trade;
    std::string source;
    std::string reference;
    Origin origin;
    // A delete of trade.trade_id (the trade's other fields are not read): it goes through the
    // rules, the audit and the history like any version, and leaves a tombstone.
    bool deletes = false;
};

// A delete candidate of `trade_id`.
inline Candidate delete_candidate(std::string trade_id, std::string source, std::string reference,
                                  Origin origin = {}) {
    Candidate candidate;
    candidate.trade.trade_id = std::move(trade_id);
    candidate.source = std::move(source);
    candidate.reference = std::move(reference);
    candidate.origin = std::move(origin);
    candidate.deletes = true;
    return candidate;
}

// The position of a source in its own stream (for Kafka: topic, partition, next offset).
struct SourcePosition {
    std::string source;
    std::string stream;
    std::int32_t partition = 0;
    std::int64_t offset = 0;  // the last offset applied

    bool operator==(const SourcePosition&) const = default;
};

enum class AuditAction : std::uint8_t { Create, Update, Replace, Delete, ValidationFailed, Expire };

inline std::string_view to_string(AuditAction action) {
    switch (action) {
        case AuditAction::Create:
            return "CREATE";
        case AuditAction::Update:
            return "UPDATE";
        case AuditAction::Replace:
            return "REPLACE";
        case AuditAction::Delete:
            return "DELETE";
        case AuditAction::ValidationFailed:
            return "VALIDATION_FAILED";
        case AuditAction::Expire:
            return "EXPIRE";
    }
    return "VALIDATION_FAILED";
}

// The action a stored name stands for (to_string's inverse); nullopt for any other text.
inline std::optional<AuditAction> parse_audit_action(std::string_view text) {
    static constexpr AuditAction kActions[] = {
        AuditAction::Create, AuditAction::Update,           AuditAction::Replace,
        AuditAction::Delete, AuditAction::ValidationFailed, AuditAction::Expire,
    };
    for (const AuditAction action : kActions) {
        if (to_string(action) == text) return action;
    }
    return std::nullopt;
}

struct AuditEntry {
    std::int64_t id = 0;
    std::string trade_id;
    AuditAction action = AuditAction::Create;
    bool success = true;
    std::vector<std::string> reason_codes;
    std::string message;
    std::optional<std::int64_t> received_version;
    std::optional<std::int64_t> stored_version;  // the version stored before the decision
    std::string source;
    std::string reference;
    Timestamp timestamp{};
    // Written, never read back: for an audit-only entry of a partitioned stream (a dead
    // letter), where its message came from, so that a replay does not record it twice.
    Origin origin;
};

struct Batch {
    std::vector<Candidate> candidates;
    // Recorded in the same transaction as the trades; a later position never moves back.
    std::vector<SourcePosition> positions;
    // Audit entries that record no trade decision, written in the same transaction: a Kafka
    // message that was dead-lettered, for instance. Their ids and timestamps are assigned by
    // the store.
    std::vector<AuditEntry> audit_only;
    // Idempotency keys claimed by the batch (tradestore/idempotency.h): written with their
    // answers in the same transaction; a key already held makes apply() throw
    // IdempotencyKeyInUse and commit nothing.
    std::vector<IdempotencyClaim> idempotency;
    // How the kernel schedules the batch; stores ignore it. A source draining a backlog
    // (Kafka) marks its batches bulk: waiting interactive batches (a REST client's request) go
    // first, and with several writers one is kept for them, so a backlog cannot starve them.
    bool bulk = false;
};

struct AuditQuery {
    std::optional<std::string> trade_id;
    std::int64_t skip = 0;
    std::int64_t limit = 100;
};

struct Statistics {
    std::int64_t total_trades = 0;
    std::int64_t active_trades = 0;
    std::int64_t expired_trades = 0;
};

// Thrown when the backend cannot be reached or fails transiently (connection lost,
// serialization failure, deadlock, shutdown, lock timeout); the caller may retry later and
// HTTP answers 503. Nothing of the failed call was committed.
class StoreUnavailable : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Thrown by apply() when the connection was lost after COMMIT was sent and the store could not
// learn in time whether the transaction committed. The caller must not re-apply blindly: a
// retry of positioned candidates is safe (the store skips what committed), a retried request
// is safe with an idempotency key; anything else may be decided twice.
class CommitOutcomeUnknown : public StoreUnavailable {
  public:
    using StoreUnavailable::StoreUnavailable;
};

// Thrown when the backend refuses the data itself (a value it cannot hold, a constraint it
// violates: PostgreSQL's SQLSTATE classes 22, 23 and 54), so retrying the same batch fails
// again. Nothing of the failed call was committed. The kernel splits the batch to find the
// item and refuses that item alone.
class StoreRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class ReadReplicas;  // tradestore/read_replicas.h

// The reads that clients ask for (REST queries): what a store serves, possibly from a
// replica of the server it writes to (Store::read_replicas()).
class StoreReader {
  public:
    virtual ~StoreReader() = default;

    virtual std::optional<Trade> get(const std::string& trade_id, Date business_date) = 0;
    // Ordered by trade_id, bytewise.
    virtual std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date business_date) = 0;
    virtual std::vector<Trade> list_by_book(const std::string& book_id, Date business_date) = 0;
    virtual Statistics statistics(Date business_date) = 0;
    virtual std::vector<AuditEntry> audit(const AuditQuery& query) = 0;
    virtual std::int64_t audit_count(const std::optional<std::string>& trade_id) = 0;
    // Trade history (tradestore/history.h), when the store keeps it: every accepted version,
    // appended by apply(), remove() and expire() in their transactions. nullptr: none kept.
    virtual TradeHistory* trade_history() { return nullptr; }
};

class Store : public StoreReader {
  public:
    // Opens connections and creates or migrates the schema. Called once before any use.
    virtual void open() = 0;
    // Finishes in-flight work and releases connections.
    virtual void close() = 0;

    // Applies the batch in one transaction. Several versions of one trade id apply in order,
    // each against the result of the one before. Returns one result per candidate, in order.
    // Candidates (and audit-only entries) whose origin is at or below the recorded position of
    // their partition are not applied again (skipped_as_replay); the position rows are locked
    // for the transaction, so two consumers of one partition cannot both apply an offset.
    // Stores decide with decide_batch() (tradestore/batch_decision.h) and write the claims'
    // rows with idempotency_rows() (tradestore/idempotency.h). Throws StoreUnavailable,
    // CommitOutcomeUnknown, StoreRefused or IdempotencyKeyInUse as their comments say.
    virtual std::vector<ItemResult> apply(const Batch& batch, std::span<const Rule* const> rules,
                                          Date business_date) = 0;

    // Deletes the trade, keeping a tombstone with its last version; false if it did not exist.
    virtual bool remove(const std::string& trade_id, const std::string& source,
                        const std::string& reference) = 0;
    // Marks every trade whose maturity date is before the business date; returns how many.
    virtual std::int64_t expire(Date business_date, const std::string& source) = 0;

    // The last applied position of a source's partition, if one was recorded.
    virtual std::optional<std::int64_t> position(const std::string& source,
                                                 const std::string& stream,
                                                 std::int32_t partition) = 0;

    // A cheap round trip to the backend; false when it is down.
    virtual bool healthy() = 0;

    // Capabilities (tradestore/store_capabilities.h): what this store offers beyond the
    // methods above, each nullptr when it does not. The kernel asks once, after open(), and
    // the answer must not change while the store is open.
    virtual AuditOutbox* audit_outbox() { return nullptr; }
    virtual EventOutbox* event_outbox() { return nullptr; }
    virtual IdempotencyKeys* idempotency_keys() { return nullptr; }
    virtual JobClaims* job_claims() { return nullptr; }
    // Read replicas (tradestore/read_replicas.h), when the store serves reads from them.
    // nullptr: every read goes to the server the store writes to.
    virtual ReadReplicas* read_replicas() { return nullptr; }
    // The change outbox (tradestore/history.h), when the store queues its history rows for
    // publishing (the feed was enabled in its settings). nullptr: it does not.
    virtual ChangeOutbox* change_outbox() { return nullptr; }
};

}  // namespace tradestore
