// The SQLite store: one file in WAL mode.
//  - Writes (apply, remove, expire) run on one writer connection behind a mutex, one
//    BEGIN IMMEDIATE transaction per call; several processes on one file wait for each other
//    up to busy_timeout, then the call throws StoreUnavailable.
//  - Reads run on a pool of reader connections (created on demand, up to max_idle_readers
//    kept idle), each read one statement over one committed snapshot, so readers never wait
//    for the writer and never see uncommitted data.
//  - Dates are stored as 'YYYY-MM-DD' text; last_updated and audit timestamps as INTEGER
//    microseconds since the Unix epoch, UTC (see schema.cpp). Rows written by one apply()
//    share the transaction's clock reading as last_updated, unless an id's time before was at
//    or after it (next_recorded_at, tradestore/history.h).
#pragma once

#include <tradestore/store_capabilities.h>

#include <cstddef>
#include <memory>
#include <mutex>

#include "connection.h"
#include "reader_pool.h"
#include "sqlite_trade_history.h"

namespace tradestore::plugins {

struct SqliteStoreOptions {
    sqlite::ConnectionOptions connection{.path = "var/tradestore.db"};
    std::size_t max_idle_readers = 8;
    // Queue every history row in the change outbox (table change_outbox) for publishing.
    bool change_feed = false;
};

class SqliteStore final : public Store,
                          public AuditOutbox,
                          public EventOutbox,
                          public IdempotencyKeys,
                          public ChangeOutbox {
  public:
    explicit SqliteStore(SqliteStoreOptions options);
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    // Creates the parent directory and the file if missing, switches to WAL and migrates the
    // schema. Throws std::runtime_error (or StoreUnavailable when the file is busy).
    void open() override;
    // Waits for the write in flight, then closes every connection. open() may follow.
    void close() override;

    std::vector<ItemResult> apply(const Batch& batch, std::span<const Rule* const> rules,
                                  Date business_date) override;

    std::optional<Trade> get(const std::string& trade_id, Date business_date) override;
    std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date business_date) override;
    std::vector<Trade> list_by_book(const std::string& book_id, Date business_date) override;
    bool remove(const std::string& trade_id, const std::string& source,
                const std::string& reference) override;
    Statistics statistics(Date business_date) override;
    std::int64_t expire(Date business_date, const std::string& source) override;

    std::vector<AuditEntry> audit(const AuditQuery& query) override;
    std::int64_t audit_count(const std::optional<std::string>& trade_id) override;

    std::optional<std::int64_t> position(const std::string& source, const std::string& stream,
                                         std::int32_t partition) override;

    bool healthy() override;

    // A file is never shared by instances that must divide job runs: no JobClaims.
    AuditOutbox* audit_outbox() override { return this; }
    EventOutbox* event_outbox() override { return this; }
    IdempotencyKeys* idempotency_keys() override { return this; }

    // The audit outbox (audit_log.shipped, see schema.cpp). Reading the backlog uses a reader
    // connection; marking and pruning are short write transactions.
    std::vector<AuditEntry> unshipped_audit(std::int64_t limit) override;
    std::int64_t unshipped_audit_count() override;
    void mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) override;
    // Prunes shipped entries older than the cut-off that are not version entries: the
    // trade history stays.
    std::int64_t prune_shipped_audit(Timestamp older_than) override;

    // The event outbox (table event_outbox, see schema.cpp): the same pattern.
    void append_events(const std::vector<SystemEvent>& events) override;
    std::vector<SystemEvent> unshipped_events(std::int64_t limit) override;
    void mark_events_shipped(const std::vector<std::string>& event_ids) override;
    std::int64_t prune_shipped_events(Timestamp older_than) override;

    // Idempotency keys (table idempotency_keys, see schema.cpp), claimed by apply().
    std::optional<StoredAnswer> idempotent_answer(const std::string& key) override;
    std::int64_t prune_idempotency_keys(Timestamp now) override;

    // Trade history: the version entries of audit_log (see schema.cpp), written by apply(),
    // remove() and expire() in their transactions; read on the reader pool.
    TradeHistory* trade_history() override { return &history_; }

    // The change outbox (table change_outbox, see schema.cpp), when change_feed is set: the
    // ids of version entries, written with them, deleted once published.
    ChangeOutbox* change_outbox() override { return options_.change_feed ? this : nullptr; }
    std::vector<HistoryChange> unpublished_changes(std::int64_t limit) override;
    void mark_changes_published(const std::vector<std::int64_t>& ids) override;
    std::int64_t unpublished_change_count() override;

  private:
    // The writer connection; throws StoreUnavailable when the store is not open.
    // Call with writer_mutex_ held.
    sqlite::Connection& writer();
    // Runs a prune statement (?1 cut-off, ?2 chunk size) one chunk per write transaction, so
    // ingestion waits at most for one chunk; returns the rows deleted.
    std::int64_t prune_in_chunks(sqlite::Query prune_query, Timestamp older_than);
    // Writes the batch's claims with their answers, in apply()'s transaction; throws
    // IdempotencyKeyInUse when a key holds a row that has not expired.
    static void claim_idempotency_keys(sqlite::Connection& db, const Batch& batch,
                                       std::span<const ItemResult> results, Timestamp now);

    const SqliteStoreOptions options_;
    std::mutex writer_mutex_;  // one write transaction at a time
    std::unique_ptr<sqlite::Connection> writer_;
    sqlite::ReaderPool readers_;
    // Its retention prunes on the writer, one chunk per transaction.
    sqlite::SqliteTradeHistory history_{readers_, [this](Timestamp older_than) {
                                            return prune_in_chunks(sqlite::Query::PruneHistory,
                                                                   older_than);
                                        }};
};

}  // namespace tradestore::plugins
