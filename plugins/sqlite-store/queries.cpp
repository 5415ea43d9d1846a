#include "queries.h"

#include <string>

namespace tradestore::plugins::sqlite {
namespace {

// The audit columns apply() and remove() write, kAuditColumns of them: the entry's, then its
// version's (NULL unless the entry is a version entry, see schema.cpp's version 5).
constexpr std::string_view kInsertAuditColumns =
    "INSERT INTO audit_log (trade_id, action, status, reason_codes, message, "
    "received_version, stored_version, source, reference, timestamp, recorded_at, "
    "counter_party_id, book_id, maturity_date, created_date, expired, business_date) VALUES ";

// `rows` rows of kAuditColumns parameters: parameters 1..kAuditColumns are the first row's,
// kAuditColumns+1.. the second's, and so on. Built once per query; constant afterwards.
std::string insert_audit(int rows) {
    std::string out(kInsertAuditColumns);
    for (int row = 0; row < rows; ++row) {
        out += row == 0 ? "(" : ", (";
        for (int column = 1; column <= kAuditColumns; ++column) {
            if (column != 1) out += ", ";
            out += '?';
            out += std::to_string(row * kAuditColumns + column);
        }
        out += ')';
    }
    return out;
}

}  // namespace

// A version entry of audit_log as HistoryByTrade, HistoryAt, TradesAt and BookAt select it
// (history_column in queries.h). Macros, so that each query stays one string literal.
#define VERSION_ENTRY_COLUMNS                                                                 \
    "trade_id, CASE WHEN action IN ('DELETE', 'EXPIRE') THEN stored_version ELSE "            \
    "received_version END, counter_party_id, book_id, maturity_date, created_date, expired, " \
    "recorded_at, action, stored_version, source, reference, business_date"
#define VERSION_ENTRIES_SELECT "SELECT " VERSION_ENTRY_COLUMNS " FROM audit_log "

// The id of the candidate trade's last version entry recorded at or before the parameter
// `at`: one probe of audit_log_trade_recorded (trade_id, recorded_at, id), walked backwards
// from `at` (rejections, recorded_at NULL, are not in the range).
#define LAST_VERSION_ID(at)                                              \
    "(SELECT v.id FROM audit_log AS v WHERE v.trade_id = candidate AND " \
    "v.recorded_at <= " at " ORDER BY v.recorded_at DESC LIMIT 1)"

// One arm of TradesAt or BookAt: the version entries as of `at` (not deletes) of the trade
// ids `candidates` selects, in a column named candidate. The candidate comes last as well, so
// that the compound's ORDER BY candidate merges the arms, each in its index's order, without
// a sort; read_history ignores it.
#define VERSION_AS_OF(candidates, at)                               \
    "SELECT " VERSION_ENTRY_COLUMNS ", candidate FROM (" candidates \
    "), audit_log WHERE id = " LAST_VERSION_ID(at) " AND action <> 'DELETE' "

// Candidates of TradesAt and BookAt (?1 the book), each in trade id order.
#define LIVE_TRADES "SELECT trade_id AS candidate FROM trades"
#define DELETED_TRADES "SELECT trade_id AS candidate FROM trade_tombstones"
// A live trade of table `t` that is or was in the book ?1: its book, or a book in its
// former_books (schema.cpp's version 6). instr() on the book as JSON text finds every trade
// that left the book, and more only for a book id that is the tail of another one's with a
// quote before it (BookAt's check of each candidate's version leaves those out); no JSON is
// parsed per row.
#define IN_OR_FROM_BOOK(t) t "book_id = ?1 OR instr(" t "former_books, json_quote(?1)) > 0"
#define TRADES_OF_BOOK "SELECT trade_id AS candidate FROM trades WHERE " IN_OR_FROM_BOOK("")
#define DEPARTED_FROM_BOOK                                                               \
    "SELECT d.trade_id AS candidate FROM book_departures AS d WHERE d.book_id = ?1 AND " \
    "NOT EXISTS (SELECT 1 FROM trades AS t WHERE t.trade_id = d.trade_id AND "           \
    "(" IN_OR_FROM_BOOK("t.") "))"

// The trade columns apply() updates (?1 the trade id, ?2.. as InsertTrade); a move also sets
// former_books (?8).
#define UPDATE_TRADE_SET                                                    \
    "UPDATE trades SET version = ?2, counter_party_id = ?3, book_id = ?4, " \
    "maturity_date = ?5, created_date = ?6, expired = 0, last_updated = ?7"
#define UPDATE_TRADE_KEEPING_MATURITY_SET                                   \
    "UPDATE trades SET version = ?2, counter_party_id = ?3, book_id = ?4, " \
    "created_date = ?6, last_updated = ?7"
#define WHERE_TRADE " WHERE trade_id = ?1"
#define WHERE_TRADE_KEEPING_MATURITY " WHERE trade_id = ?1 AND maturity_date = ?5 AND expired = 0"

std::string_view sql(Query query) {
    // Dates are 'YYYY-MM-DD' text, so text comparison is date comparison. Timestamps are
    // INTEGER microseconds since 1970-01-01T00:00:00Z (see schema.cpp).
    switch (query) {
        case Query::Begin:
            return "BEGIN IMMEDIATE";
        case Query::Commit:
            return "COMMIT";
        case Query::Rollback:
            return "ROLLBACK";

        case Query::SelectTrade:
            // former_books last, for apply() (which adds to it the books a trade leaves).
            return "SELECT trade_id, version, counter_party_id, book_id, maturity_date, "
                   "created_date, expired, last_updated, former_books FROM trades "
                   "WHERE trade_id = ?1";
        case Query::SelectTombstone:
            return "SELECT version, deleted_at FROM trade_tombstones WHERE trade_id = ?1";
        // The store knows from its read in the same transaction whether the row exists:
        // an INSERT for a new id, an UPDATE otherwise. SQLite updates the indexes on the
        // columns an UPDATE sets, whether or not their values change, so a write that keeps
        // the maturity date of an unexpired trade leaves maturity_date and expired out and
        // trades_expired_maturity untouched. former_books (?8, schema.cpp's version 6) is
        // the whole new value, set only by a write that leaves a book (the ...Moved forms;
        // the INSERT's ?8 is left NULL otherwise): the others leave the column as it is.
        case Query::InsertTrade:
            return "INSERT INTO trades (trade_id, version, counter_party_id, book_id, "
                   "maturity_date, created_date, expired, last_updated, former_books) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?8)";
        case Query::UpdateTrade:
            return UPDATE_TRADE_SET WHERE_TRADE;
        case Query::UpdateTradeMoved:
            return UPDATE_TRADE_SET ", former_books = ?8" WHERE_TRADE;
        case Query::UpdateTradeKeepingMaturity:
            return UPDATE_TRADE_KEEPING_MATURITY_SET WHERE_TRADE_KEEPING_MATURITY;
        case Query::UpdateTradeKeepingMaturityMoved:
            return UPDATE_TRADE_KEEPING_MATURITY_SET
                ", former_books = ?8" WHERE_TRADE_KEEPING_MATURITY;
        case Query::DeleteTombstone:
            return "DELETE FROM trade_tombstones WHERE trade_id = ?1";
        case Query::InsertAudit: {
            static const std::string text = insert_audit(1);
            return text;
        }
        case Query::InsertAuditChunk: {
            static const std::string text = insert_audit(kAuditChunkRows);
            return text;
        }
        case Query::UpsertPosition:
            // A position never moves back.
            return "INSERT INTO source_positions (source, stream, \"partition\", \"offset\") "
                   "VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT (source, stream, \"partition\") DO UPDATE SET "
                   "\"offset\" = MAX(\"offset\", excluded.\"offset\")";

        case Query::DeleteTrade:
            return "DELETE FROM trades WHERE trade_id = ?1";
        case Query::InsertDepartures:
            // ?1 trade, ?2 its book, ?3 its former_books (NULL, or a JSON array): the deleted
            // trade was in each (see schema.cpp's version 6).
            return "INSERT OR IGNORE INTO book_departures (book_id, trade_id) "
                   "SELECT ?2, ?1 UNION ALL SELECT value, ?1 FROM json_each(?3)";
        case Query::UpsertTombstone:
            return "INSERT INTO trade_tombstones (trade_id, version, deleted_at) "
                   "VALUES (?1, ?2, ?3) ON CONFLICT (trade_id) DO UPDATE SET "
                   "version = MAX(version, excluded.version), deleted_at = excluded.deleted_at";

        case Query::InsertExpireAudit:
            // ?1 business date, ?2 source, ?3 now. Same predicate as MarkExpired, run first
            // in the same transaction, so there is exactly one EXPIRE entry per marked trade.
            // Each is the version entry of the trade as MarkExpired leaves it: expired, and
            // recorded at MAX(now, last_updated + 1), which is next_recorded_at(now,
            // last_updated) (tradestore/history.h) and MarkExpired's last_updated. The entry's
            // own timestamp is now, one value for the whole run.
            return "INSERT INTO audit_log (trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, timestamp, "
                   "recorded_at, counter_party_id, book_id, maturity_date, created_date, "
                   "expired, business_date) "
                   "SELECT trade_id, 'EXPIRE', 'success', '', "
                   "'Trade ' || trade_id || ': version ' || version || ' expired; maturity date "
                   "' || maturity_date || ' is before the business date ' || ?1, "
                   "NULL, version, ?2, ?1, ?3, MAX(?3, last_updated + 1), counter_party_id, "
                   "book_id, maturity_date, created_date, 1, ?1 "
                   "FROM trades WHERE expired = 0 AND maturity_date < ?1 ORDER BY trade_id";
        case Query::MarkExpired:
            // The trade's last_updated is its EXPIRE entry's recorded_at.
            return "UPDATE trades SET expired = 1, last_updated = MAX(?2, last_updated + 1) "
                   "WHERE expired = 0 AND maturity_date < ?1";

        case Query::ListTrades:
            return "SELECT trade_id, version, counter_party_id, book_id, maturity_date, "
                   "created_date, expired, last_updated FROM trades "
                   "ORDER BY trade_id LIMIT ?1 OFFSET ?2";
        case Query::ListTradesByBook:
            return "SELECT trade_id, version, counter_party_id, book_id, maturity_date, "
                   "created_date, expired, last_updated FROM trades WHERE book_id = ?1 "
                   "ORDER BY trade_id";
        case Query::Statistics:
            // The same rule as tradestore::is_expired.
            return "SELECT COUNT(*), "
                   "COALESCE(SUM(expired = 1 OR maturity_date < ?1), 0) FROM trades";
        case Query::AuditAll:
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, timestamp "
                   "FROM audit_log ORDER BY id LIMIT ?1 OFFSET ?2";
        case Query::AuditByTrade:
            // The trade's range of audit_log_trade_recorded, sorted by id: the index orders
            // its rejections (recorded_at NULL) before its versions. One trade's entries.
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, timestamp "
                   "FROM audit_log WHERE trade_id = ?3 ORDER BY id LIMIT ?1 OFFSET ?2";
        case Query::AuditCountAll:
            return "SELECT COUNT(*) FROM audit_log";
        case Query::AuditCountByTrade:
            return "SELECT COUNT(*) FROM audit_log WHERE trade_id = ?1";
        case Query::HistoryByTrade:
            // ?1 trade_id, ?2 from, ?3 to (microseconds, inclusive), ?4 limit, ?5 skip. The
            // trade's version entries in recorded_at order, which is id order: a range of
            // audit_log_trade_recorded (trade_id, recorded_at, id), no sort (EXPLAIN QUERY
            // PLAN in README.md).
            return VERSION_ENTRIES_SELECT
                "WHERE trade_id = ?1 AND recorded_at BETWEEN ?2 AND ?3 "
                "ORDER BY recorded_at LIMIT ?4 OFFSET ?5";
        case Query::HistoryAt:
            // ?1 trade_id, ?2 an instant (microseconds): the trade's last version entry
            // recorded at or before it, one probe of audit_log_trade_recorded.
            return VERSION_ENTRIES_SELECT
                "WHERE trade_id = ?1 AND recorded_at <= ?2 ORDER BY recorded_at DESC LIMIT 1";
        case Query::TradesAt:
            // ?1 an instant, ?2 limit, ?3 skip. Every trade id is a live row or a tombstone,
            // never both (a restore deletes the tombstone, remove() the row), so the two
            // primary-key scans merge without deduplication, and the merge stops at the page.
            return VERSION_AS_OF(LIVE_TRADES, "?1") "UNION ALL " VERSION_AS_OF(
                DELETED_TRADES, "?1") "ORDER BY candidate LIMIT ?2 OFFSET ?3";
        case Query::BookAt:
            // ?1 book, ?2 an instant. The candidates: the live trades in the book now or
            // before (a scan of trades in its primary key's order, no index to keep up on
            // every move), then book_departures' range of the book (deleted trades, and moves
            // from before schema 6) less what the first arm has, so that the arms are
            // disjoint and merge in trade id order without a sort; each kept when its
            // version then was in the book.
            return VERSION_AS_OF(TRADES_OF_BOOK, "?2") "AND book_id = ?1 UNION ALL " VERSION_AS_OF(
                DEPARTED_FROM_BOOK, "?2") "AND book_id = ?1 ORDER BY candidate";
        case Query::SelectPosition:
            return "SELECT \"offset\" FROM source_positions "
                   "WHERE source = ?1 AND stream = ?2 AND \"partition\" = ?3";
        case Query::Ping:
            return "SELECT 1";

        case Query::UnshippedAudit:
            // Served by the partial index audit_log_unshipped (same WHERE), in id order.
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, timestamp "
                   "FROM audit_log WHERE shipped = 0 ORDER BY id LIMIT ?1";
        case Query::MarkAuditShipped:
            return "UPDATE audit_log SET shipped = 1 WHERE id = ?1 AND shipped = 0";
        case Query::PruneShippedAudit:
            // ?1 cut-off (microseconds), ?2 most rows per statement: one chunk per transaction,
            // so a large prune never holds the write lock for long. Version entries
            // (recorded_at set) are the trade history and stay: a range on the partial index
            // audit_log_prunable (same predicate), so only the other entries older than the
            // cut-off are visited.
            return "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log "
                   "WHERE timestamp < ?1 AND shipped = 1 AND recorded_at IS NULL LIMIT ?2)";
        case Query::UnshippedAuditCount:
            // Counted over the partial index audit_log_unshipped: the backlog alone.
            return "SELECT COUNT(*) FROM audit_log WHERE shipped = 0";

        case Query::PruneHistory:
            // ?1 cut-off (microseconds), ?2 most rows per statement, as PruneShippedAudit: the
            // version entries before the cut-off that a later one of their trade, also before
            // it, supersedes (one probe of audit_log_trade_recorded each), but not those still
            // in the change outbox. A scan in id order, oldest first.
            return "DELETE FROM audit_log WHERE id IN (SELECT a.id FROM audit_log AS a "
                   "WHERE a.recorded_at < ?1 AND EXISTS (SELECT 1 FROM audit_log AS later "
                   "WHERE later.trade_id = a.trade_id AND later.recorded_at > a.recorded_at "
                   "AND later.recorded_at < ?1) AND NOT EXISTS (SELECT 1 FROM change_outbox "
                   "AS o WHERE o.history_id = a.id) ORDER BY a.id LIMIT ?2)";

        case Query::LastAuditId:
            return "SELECT COALESCE(MAX(id), 0) FROM audit_log";
        case Query::QueueChanges:
            // ?1 LastAuditId before the transaction wrote its audit rows (one writer at a
            // time: every id above it is this transaction's): its version entries.
            return "INSERT INTO change_outbox (history_id) SELECT id FROM audit_log "
                   "WHERE id > ?1 AND recorded_at IS NOT NULL ORDER BY id";
        case Query::UnpublishedChanges:
            // ?1 limit: the oldest rows of the outbox with their version entries.
            return "SELECT " VERSION_ENTRY_COLUMNS
                   ", id FROM audit_log WHERE id IN "
                   "(SELECT history_id FROM change_outbox ORDER BY history_id LIMIT ?1) "
                   "ORDER BY id";
        case Query::MarkChangePublished:
            return "DELETE FROM change_outbox WHERE history_id = ?1";
        case Query::UnpublishedChangeCount:
            return "SELECT COUNT(*) FROM change_outbox";

        case Query::AppendEvent:
            // Idempotent on the event's id: a second append keeps the first row as it is.
            return "INSERT INTO event_outbox (id, event_type, severity, data, timestamp) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING";
        case Query::UnshippedEvents:
            // Served by the partial index event_outbox_unshipped (same WHERE and order).
            return "SELECT id, event_type, severity, data, timestamp FROM event_outbox "
                   "WHERE shipped = 0 ORDER BY timestamp, id LIMIT ?1";
        case Query::MarkEventShipped:
            return "UPDATE event_outbox SET shipped = 1 WHERE id = ?1 AND shipped = 0";
        case Query::PruneShippedEvents:
            // As PruneShippedAudit: ?1 cut-off (microseconds), ?2 most rows per statement.
            return "DELETE FROM event_outbox WHERE id IN (SELECT id FROM event_outbox "
                   "WHERE timestamp < ?1 AND shipped = 1 LIMIT ?2)";

        case Query::ClaimIdempotencyKey:
            // ?5 now: a row of the key that has expired (not pruned yet) is taken over; one
            // that has not is left as it is, and no row changes (the key is in use).
            return "INSERT INTO idempotency_keys (key, request_hash, status, body, created_at, "
                   "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                   "ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, "
                   "status = excluded.status, body = excluded.body, "
                   "created_at = excluded.created_at, expires_at = excluded.expires_at "
                   "WHERE idempotency_keys.expires_at <= excluded.created_at";
        case Query::SelectIdempotencyKey:
            return "SELECT request_hash, status, body, expires_at FROM idempotency_keys "
                   "WHERE key = ?1";
        case Query::PruneIdempotencyKeys:
            // As PruneShippedAudit: ?1 now (microseconds), ?2 most rows per statement; a range
            // on idempotency_keys_expires_at.
            return "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM "
                   "idempotency_keys WHERE expires_at <= ?1 LIMIT ?2)";
    }
    return "SELECT 1";
}

}  // namespace tradestore::plugins::sqlite
