// Idempotency keys of the SQLite store: apply() claims a batch's keys after deciding, in its
// transaction, so a key's row exists exactly when the request's decisions committed. The write
// lock (BEGIN IMMEDIATE) orders claims of one key, in this process or any other.
#include <sqlite3.h>

#include "dates.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

void SqliteStore::claim_idempotency_keys(sqlite::Connection& db, const Batch& batch,
                                         std::span<const ItemResult> results, Timestamp now) {
    if (batch.idempotency.empty()) return;
    for (const IdempotencyRow& row : idempotency_rows(batch.idempotency, results)) {
        auto claim = db.use(Query::ClaimIdempotencyKey);
        claim->bind_text(1, row.key);
        claim->bind_text(2, row.request_hash);
        claim->bind_int(3, row.answer.status);
        claim->bind_text(4, row.answer.body);
        claim->bind_int(5, to_micros(now));
        claim->bind_int(6, to_micros(row.expires_at));
        claim->run();
        if (sqlite3_changes64(db.handle()) == 0) {
            throw IdempotencyKeyInUse("idempotency key '" + std::string(row.key) +
                                      "' is already in use");
        }
    }
}

std::optional<StoredAnswer> SqliteStore::idempotent_answer(const std::string& key) {
    auto reader = readers_.acquire();
    auto select = reader->use(Query::SelectIdempotencyKey);
    select->bind_text(1, key);
    if (!select->step()) return std::nullopt;
    StoredAnswer stored;
    stored.request_hash = select->column_text(0);
    stored.answer.status = static_cast<int>(select->column_int(1));
    stored.answer.body = select->column_text(2);
    stored.expires_at = from_micros(select->column_int(3));
    return stored;
}

std::int64_t SqliteStore::prune_idempotency_keys(Timestamp now) {
    return prune_in_chunks(Query::PruneIdempotencyKeys, now);
}

}  // namespace tradestore::plugins
