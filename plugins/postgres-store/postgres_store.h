// The PostgreSQL store: the production source of truth, shared by several tradestored
// instances.
//  - apply() is one Read Committed transaction per batch. Round trip 1: the position rows of
//    the batch's partitions (created if missing, then locked FOR UPDATE, in key order), then
//    transaction-level advisory locks on every trade id (sorted), then one read of the
//    current rows and tombstones. decide_batch() (the SDK's) skips replayed offsets and runs
//    the rule chain in process. Round trip 2: set-based writes (unnest of array parameters)
//    of trades, tombstones, audit rows and positions, then COMMIT. Two round trips per batch
//    in libpq pipeline mode, whatever its size.
//  - The position locks make two consumers of one partition (a zombie and the new owner)
//    take turns, so an offset is applied once. The advisory locks make concurrent writers of
//    one id, in any process, take turns, so a decision is always made against what is really
//    stored and a lower version never wins. Positions are locked before ids, and REST
//    batches lock ids only, so the two kinds cannot deadlock.
//  - Every call borrows a connection from a pool (see connection_pool.h). Any failure of the
//    server rolls the transaction back, drops the connection and throws StoreUnavailable;
//    later calls reconnect by themselves.
//  - A connection lost after COMMIT was sent is never taken for a failure: apply() asks the
//    server, on a fresh connection, about the transaction's id (read in round trip 1) and
//    returns what committed, runs an aborted transaction again, or throws
//    CommitOutcomeUnknown when it cannot learn which within commit_outcome_timeout.
//  - Reads are single statements, each over one committed snapshot.
//  - With read replicas (read_uri), the client reads (StoreReader's, and the history's) go to
//    a replica in rotation (replica_set.h), or to the primary when none can serve them (or
//    fail with StoreUnavailable when read_fallback is off); everything else stays on the
//    primary: apply() and its reads, positions, idempotency keys, the outboxes. Each write
//    then also reads the WAL position after its COMMIT, in the same round trip, as its
//    results' commit_position.
#pragma once

#include <tradestore/history.h>
#include <tradestore/read_replicas.h>
#include <tradestore/store_capabilities.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "connection_pool.h"
#include "replica_set.h"

namespace tradestore::plugins {

struct PostgresStoreOptions {
    pg::PoolOptions pool;
    // How often a transaction aborted by the server for a conflict (deadlock, serialization
    // failure) is run again before StoreUnavailable is thrown.
    int conflict_attempts = 3;
    // After a connection lost once COMMIT was sent, how long apply() keeps asking the server
    // (on a fresh connection) whether the transaction committed before it throws
    // CommitOutcomeUnknown (a connection attempt under way may add one connect_timeout).
    std::chrono::milliseconds commit_outcome_timeout{5000};
    // Recorded in job_runs.claimed_by; default "<hostname>:<pid>".
    std::string instance_name;
    // The hardened setup: when set, the schema is created or migrated through this URI (the
    // role that owns the schema), which also grants the pool's role (pool.connection.uri)
    // what the store needs and no more, and sets the audit retention floor. Empty: the pool's
    // role migrates and owns everything.
    std::string schema_owner_uri;
    // Audit rows younger than this many days are never deleted (0: no floor); needs
    // schema_owner_uri.
    std::int64_t audit_min_retention_days = 0;
    // Queue every history row in the change outbox (table change_outbox) for publishing.
    bool change_feed = false;
    // Read replicas (read_uri); none: every read goes to the primary.
    pg::ReplicaSetOptions replicas;
    // When no replica can serve a read: the primary serves it (true) or StoreUnavailable.
    bool read_fallback = true;
};

// A client read that must see every commit up to `position` (0: any replica in rotation).
struct ReadFloor {
    std::uint64_t position = 0;
};

class PostgresStore final : public Store,
                            public AuditOutbox,
                            public EventOutbox,
                            public IdempotencyKeys,
                            public JobClaims,
                            public TradeHistory,
                            public ChangeOutbox,
                            public ReadReplicas {
  public:
    explicit PostgresStore(PostgresStoreOptions options);
    ~PostgresStore() override;
    PostgresStore(const PostgresStore&) = delete;
    PostgresStore& operator=(const PostgresStore&) = delete;

    // Connects and creates or migrates the schema (through schema_owner_uri when set, which
    // then also grants the pool's role its rights). Throws StoreUnavailable when the server
    // cannot be reached, std::runtime_error when the schema is newer than this plugin or a
    // role lacks a right.
    void open() override;
    // Waits for the calls in flight, then closes every connection. open() may follow.
    void close() override;

    std::vector<ItemResult> apply(const Batch& batch, std::span<const Rule* const> rules,
                                  Date business_date) override;

    // The client reads (StoreReader, TradeHistory's reads) with no floor, and with one.
    std::optional<Trade> get(const std::string& trade_id, Date business_date) override {
        return get(trade_id, business_date, {});
    }
    std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date business_date) override {
        return list(skip, limit, business_date, {});
    }
    std::vector<Trade> list_by_book(const std::string& book_id, Date business_date) override {
        return list_by_book(book_id, business_date, {});
    }
    Statistics statistics(Date business_date) override { return statistics(business_date, {}); }
    std::vector<AuditEntry> audit(const AuditQuery& query) override { return audit(query, {}); }
    std::int64_t audit_count(const std::optional<std::string>& trade_id) override {
        return audit_count(trade_id, {});
    }
    std::vector<HistoryRecord> history(const HistoryQuery& query) override {
        return history(query, {});
    }
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) override {
        return version_at(trade_id, at, {});
    }
    std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip,
                                         std::int64_t limit) override {
        return trades_at(at, skip, limit, {});
    }
    std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at) override {
        return book_at(book_id, at, {});
    }
    std::optional<Trade> get(const std::string& trade_id, Date business_date, ReadFloor floor);
    std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date business_date,
                            ReadFloor floor);
    std::vector<Trade> list_by_book(const std::string& book_id, Date business_date,
                                    ReadFloor floor);
    Statistics statistics(Date business_date, ReadFloor floor);
    std::vector<AuditEntry> audit(const AuditQuery& query, ReadFloor floor);
    std::int64_t audit_count(const std::optional<std::string>& trade_id, ReadFloor floor);
    std::vector<HistoryRecord> history(const HistoryQuery& query, ReadFloor floor);
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at,
                                            ReadFloor floor);
    std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip, std::int64_t limit,
                                         ReadFloor floor);
    std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at, ReadFloor floor);

    bool remove(const std::string& trade_id, const std::string& source,
                const std::string& reference) override;
    std::int64_t expire(Date business_date, const std::string& source) override;

    std::optional<std::int64_t> position(const std::string& source, const std::string& stream,
                                         std::int32_t partition) override;

    bool healthy() override;

    AuditOutbox* audit_outbox() override { return this; }
    EventOutbox* event_outbox() override { return this; }
    IdempotencyKeys* idempotency_keys() override { return this; }
    JobClaims* job_claims() override { return this; }

    // The audit outbox: audit_log.shipped, false until shipped (per entry, never by a
    // high-water mark on ids); pruning deletes shipped entries in chunks.
    std::vector<AuditEntry> unshipped_audit(std::int64_t limit) override;
    std::int64_t unshipped_audit_count() override;
    void mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) override;
    std::int64_t prune_shipped_audit(Timestamp older_than) override;

    // The event outbox (table event_outbox, see schema.cpp): the same pattern; a batch is
    // appended in one statement.
    void append_events(const std::vector<SystemEvent>& events) override;
    std::vector<SystemEvent> unshipped_events(std::int64_t limit) override;
    void mark_events_shipped(const std::vector<std::string>& event_ids) override;
    std::int64_t prune_shipped_events(Timestamp older_than) override;

    // One row per (job, period) in job_runs: true only for the instance whose insert landed.
    bool claim_job_run(const std::string& job, std::int64_t period) override;

    // Idempotency keys (table idempotency_keys, see schema.cpp), claimed by apply().
    std::optional<StoredAnswer> idempotent_answer(const std::string& key) override;
    std::int64_t prune_idempotency_keys(Timestamp now) override;

    // Trade history (audit_log's version entries, see schema.cpp), appended by apply, remove
    // and expire.
    TradeHistory* trade_history() override { return this; }
    // Through the schema's function prune_history, in chunks.
    std::int64_t prune_history(Timestamp older_than) override;

    // The change outbox (table change_outbox, see schema.cpp), when change_feed is set: the
    // ids of version entries, written with them, deleted once published.
    ChangeOutbox* change_outbox() override { return options_.change_feed ? this : nullptr; }
    std::vector<HistoryChange> unpublished_changes(std::int64_t limit) override;
    void mark_changes_published(const std::vector<std::int64_t>& ids) override;
    std::int64_t unpublished_change_count() override;

    // Read replicas, when read_uri names some.
    ReadReplicas* read_replicas() override { return replicas_ ? this : nullptr; }
    std::vector<ReplicaState> replica_states() const override;
    std::unique_ptr<StoreReader> reader_after(std::uint64_t commit_position) override;
    void record_metrics(Metrics& metrics) override;

    // Connections open now (for tests and diagnostics).
    std::size_t open_connections() const { return pool_.open_connections(); }

  private:
    struct ApplyInput;
    struct ApplyAttempt;
    // One run of apply's transaction; `attempt` says how far it got.
    void apply_once(const Batch& batch, std::span<const Rule* const> rules, Date business_date,
                    const ApplyInput& input, ApplyAttempt& attempt);
    enum class CommitOutcome : std::uint8_t { Committed, Aborted, Unknown };
    // Whether the transaction `xid` committed, asked on fresh connections until the server
    // knows or commit_outcome_timeout has passed (then Unknown).
    // When it committed and replicas are configured, also sets the attempt's commit position.
    CommitOutcome commit_outcome(ApplyAttempt& attempt);
    // Runs a read on a pooled connection; runs it once more on a fresh connection when the
    // first one turns out to be lost (a read has no effect, so this is always safe).
    template <typename Read>
    auto read(Read&& body);
    // A client read: on a replica that can serve `floor` when there is one, else as read().
    template <typename Read>
    auto client_read(ReadFloor floor, Read&& body);
    // Runs a write transaction, again when the server aborted it for a conflict.
    template <typename Write>
    auto write(Write&& body);

    // Runs a prune function ($1 cut-off, $2 rows per statement) one chunk per transaction
    // until a chunk comes back short; returns the rows deleted.
    std::int64_t prune_in_chunks(pg::Query prune_query, Timestamp older_than);

    const PostgresStoreOptions options_;
    pg::ConnectionPool pool_;
    std::unique_ptr<pg::ReplicaSet> replicas_;  // null without read_uri
    std::string instance_name_;
};

}  // namespace tradestore::plugins
