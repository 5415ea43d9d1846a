// The audit outbox of the SQLite store: every audit entry is written with shipped = 0 in the
// transaction of its decision; the shipper (mongo-audit) reads the unshipped ones oldest first,
// ships them, and marks them. Shipping is tracked per entry, never by a high-water mark.
#include <sqlite3.h>

#include <algorithm>

#include "dates.h"
#include "rows.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

namespace {

// Rows deleted per prune transaction: the write lock is released between chunks, so ingestion
// waits at most for one chunk.
constexpr std::int64_t kPruneChunk = 2000;

}  // namespace

std::vector<AuditEntry> SqliteStore::unshipped_audit(std::int64_t limit) {
    std::vector<AuditEntry> entries;
    if (limit <= 0) return entries;
    entries.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 10'000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::UnshippedAudit);
    select->bind_int(1, limit);
    while (select->step()) entries.push_back(sqlite::read_audit(*select));
    return entries;
}

std::int64_t SqliteStore::unshipped_audit_count() {
    auto reader = readers_.acquire();
    auto count = reader->use(Query::UnshippedAuditCount);
    return count->step() ? count->column_int(0) : 0;
}

void SqliteStore::mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) {
    if (audit_ids.empty()) return;
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    for (const std::int64_t id : audit_ids) {
        auto mark = db.use(Query::MarkAuditShipped);
        mark->bind_int(1, id);
        mark->run();
    }
    transaction.commit();
}

std::int64_t SqliteStore::prune_shipped_audit(Timestamp older_than) {
    return prune_in_chunks(Query::PruneShippedAudit, older_than);
}

std::int64_t SqliteStore::prune_in_chunks(Query prune_query, Timestamp older_than) {
    const std::int64_t cutoff = to_micros(older_than);
    std::int64_t pruned = 0;
    for (;;) {
        std::lock_guard lock(writer_mutex_);
        sqlite::Connection& db = writer();
        sqlite::Transaction transaction(db);
        std::int64_t deleted = 0;
        {
            auto prune = db.use(prune_query);
            prune->bind_int(1, cutoff);
            prune->bind_int(2, kPruneChunk);
            prune->run();
            deleted = sqlite3_changes64(db.handle());
        }
        transaction.commit();
        pruned += deleted;
        if (deleted < kPruneChunk) return pruned;
    }
}

}  // namespace tradestore::plugins
