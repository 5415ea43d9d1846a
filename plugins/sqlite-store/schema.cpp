#include "schema.h"

#include <stdexcept>
#include <string>

#include "connection.h"

namespace tradestore::plugins::sqlite {
namespace {

// Version 1.
//  - Dates (maturity_date, created_date) are TEXT 'YYYY-MM-DD': text order is date order.
//  - Timestamps (last_updated, timestamp, deleted_at) are INTEGER microseconds since
//    1970-01-01T00:00:00Z (UTC): exact round trip of tradestore::Timestamp, cheap to compare.
//  - trade_id keeps SQLite's BINARY collation, so ORDER BY trade_id is bytewise.
//  - audit_log.reason_codes is a comma-separated list of codes ('' when none); codes are
//    UPPER_SNAKE_CASE and never contain a comma.
//  - audit_log.shipped is the audit outbox: 0 until the entry has been shipped to an external
//    audit store (mongo-audit), then 1. The partial index audit_log_unshipped holds only the
//    unshipped ids, so the shipper's "oldest unshipped first" read touches the backlog alone,
//    however long the shipped history grows; it empties as entries are shipped.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE IF NOT EXISTS trades (
    trade_id         TEXT    NOT NULL PRIMARY KEY,
    version          INTEGER NOT NULL,
    counter_party_id TEXT    NOT NULL,
    book_id          TEXT    NOT NULL,
    maturity_date    TEXT    NOT NULL,
    created_date     TEXT    NOT NULL,
    expired          INTEGER NOT NULL DEFAULT 0 CHECK (expired IN (0, 1)),
    last_updated     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trades_book_id ON trades (book_id);
CREATE INDEX IF NOT EXISTS trades_maturity_date ON trades (maturity_date);
CREATE INDEX IF NOT EXISTS trades_expired ON trades (expired);
CREATE INDEX IF NOT EXISTS trades_counter_party_id ON trades (counter_party_id);
CREATE INDEX IF NOT EXISTS trades_book_expired_maturity
    ON trades (book_id, expired, maturity_date);

CREATE TABLE IF NOT EXISTS audit_log (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    trade_id         TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('success', 'failed')),
    reason_codes     TEXT    NOT NULL DEFAULT '',
    message          TEXT    NOT NULL DEFAULT '',
    received_version INTEGER,
    stored_version   INTEGER,
    source           TEXT    NOT NULL,
    reference        TEXT    NOT NULL DEFAULT '',
    timestamp        INTEGER NOT NULL,
    shipped          INTEGER NOT NULL DEFAULT 0 CHECK (shipped IN (0, 1))
);
CREATE INDEX IF NOT EXISTS audit_log_trade_id ON audit_log (trade_id, id);
CREATE INDEX IF NOT EXISTS audit_log_timestamp ON audit_log (timestamp);
CREATE INDEX IF NOT EXISTS audit_log_unshipped ON audit_log (id) WHERE shipped = 0;

CREATE TABLE IF NOT EXISTS trade_tombstones (
    trade_id   TEXT    NOT NULL PRIMARY KEY,
    version    INTEGER NOT NULL,
    deleted_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS source_positions (
    source      TEXT    NOT NULL,
    stream      TEXT    NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset"    INTEGER NOT NULL,
    PRIMARY KEY (source, stream, "partition")
) WITHOUT ROWID;

INSERT INTO schema_version (version) VALUES (1);
)sql";

// Version 2: the event outbox. System events (STARTED, STOPPED, STORE_DOWN, ...) wait here
// until shipped to the external event store (mongo-audit), like audit entries: shipped is 0
// until then, and the partial index event_outbox_unshipped holds the backlog alone, in the
// order it is shipped (timestamp, then id). id is the event's own id, fixed when it was
// emitted, so appending an event again stores it once. data is a JSON object as text.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE IF NOT EXISTS event_outbox (
    id         TEXT    NOT NULL PRIMARY KEY,
    event_type TEXT    NOT NULL,
    severity   TEXT    NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR')),
    data       TEXT    NOT NULL DEFAULT '{}',
    timestamp  INTEGER NOT NULL,
    shipped    INTEGER NOT NULL DEFAULT 0 CHECK (shipped IN (0, 1))
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS event_outbox_unshipped ON event_outbox (timestamp, id)
    WHERE shipped = 0;
CREATE INDEX IF NOT EXISTS event_outbox_timestamp ON event_outbox (timestamp);

INSERT INTO schema_version (version) VALUES (2);
)sql";

// Version 3: idempotency keys (Batch::idempotency). One row per claimed key, written in the
// transaction of the request's decisions: the hash of the request that claimed it and the
// answer it got (status and body, as the source rendered it), kept until expires_at
// (microseconds, as every timestamp here) and then pruned; an expired row may also be taken
// over by a new claim of its key. A rowid table, since answers can be large.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key          TEXT    NOT NULL PRIMARY KEY,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at);

INSERT INTO schema_version (version) VALUES (3);
)sql";

// Version 4: fewer indexes on trades, each of which every trade write had to update. Kept
// what the reads need (EXPLAIN QUERY PLAN in README.md's benchmarks):
//  - trades_book_id (book_id, and the key trade_id after it): ListTradesByBook's
//    "WHERE book_id = ? ORDER BY trade_id" without a sort;
//  - trades_expired_maturity (expired, maturity_date): the expiry's "WHERE expired = 0 AND
//    maturity_date < ?" as one range, where trades_expired made it visit every unexpired
//    trade, and the covering index Statistics scans. A write that keeps the maturity date of
//    an unexpired trade does not touch it.
// Dropped: trades_counter_party_id and trades_maturity_date (no query reads them),
// trades_expired (replaced), trades_book_expired_maturity (no query needs its later columns;
// it only made ListTradesByBook sort).
constexpr const char* kSchemaV4 = R"sql(
DROP INDEX IF EXISTS trades_counter_party_id;
DROP INDEX IF EXISTS trades_maturity_date;
DROP INDEX IF EXISTS trades_expired;
DROP INDEX IF EXISTS trades_book_expired_maturity;
CREATE INDEX IF NOT EXISTS trades_expired_maturity ON trades (expired, maturity_date);

INSERT INTO schema_version (version) VALUES (4);
)sql";

// Version 5: trade history (tradestore/history.h) in the audit log. The audit entry of an
// accepted decision (CREATE, UPDATE, REPLACE; remove()'s DELETE, expire()'s EXPIRE) is also
// that version of its trade: it carries the trade as stored (as it stood, for a DELETE) in
// these columns, NULL in every other entry (rejections, dead letters, and the entries written
// before this version). recorded_at is the version's transaction time (microseconds, as every
// timestamp here; the trade's last_updated), strictly increasing per trade; an entry with
// recorded_at is a "version entry", and the audit outbox's prune keeps it. The version number
// is received_version (stored_version for a DELETE or an EXPIRE); business_date is the
// decision's. A trade's history is its version entries in id order, which audit_log_trade_id
// (trade_id, id) served (until version 6). The timestamp index served only pruning, which now
// skips version entries: it gives way to a partial one over the entries that may be pruned,
// so a version entry (nearly every entry) has one index entry less to write, and a prune does
// not walk the history. Adding nullable columns rewrites no row.
constexpr const char* kSchemaV5 = R"sql(
ALTER TABLE audit_log ADD COLUMN recorded_at INTEGER;
ALTER TABLE audit_log ADD COLUMN counter_party_id TEXT;
ALTER TABLE audit_log ADD COLUMN book_id TEXT;
ALTER TABLE audit_log ADD COLUMN maturity_date TEXT;
ALTER TABLE audit_log ADD COLUMN created_date TEXT;
ALTER TABLE audit_log ADD COLUMN expired INTEGER;
ALTER TABLE audit_log ADD COLUMN business_date TEXT;
DROP INDEX IF EXISTS audit_log_timestamp;
CREATE INDEX audit_log_prunable ON audit_log (timestamp) WHERE recorded_at IS NULL;

INSERT INTO schema_version (version) VALUES (5);
)sql";

// Version 6: snapshots as of an instant (TradeHistory::trades_at, book_at).
//  - A trade's last version entry at or before an instant is one probe of
//    audit_log_trade_recorded (trade_id, recorded_at, id), which replaces audit_log_trade_id
//    (trade_id, id): a trade's version entries have recorded_at and id increasing together,
//    so its history reads in either order; its rejections (recorded_at NULL) come first.
//  - trades.former_books: the books the live trade has left, a JSON array of book ids, each
//    once, compact as json_array() writes it (e.g. ["B1","B3"]); NULL while it never moved.
//    Kept in the row that a move rewrites anyway, by the same UPDATE (or the INSERT of an id
//    that moved within its first batch), from the plan's departures: a write that keeps the
//    book leaves it untouched. A table row per move instead cost +19% CPU per batch in a feed
//    that moves every version, former_books +10% with the wider index (README.md). Not indexed: a
//    book snapshot scans trades.
//  - book_departures: every (book, trade) of a deleted trade (its book and former_books,
//    written by remove(), since the trades row goes), which stay when the trade comes back;
//    and, from the migration, every version's (book, trade) but the trade's current one,
//    which covers the moves made before it. A superset is harmless: each candidate is
//    checked against its version at the instant.
// A book's trades at an instant are among those in it now, those that left it (former_books)
// and book_departures'. The migration scans audit_log once and builds the index anew: once,
// at the first open. Adding a nullable column rewrites no row.
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE trades ADD COLUMN former_books TEXT;
CREATE TABLE IF NOT EXISTS book_departures (
    book_id  TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    PRIMARY KEY (book_id, trade_id)
) WITHOUT ROWID;
INSERT OR IGNORE INTO book_departures (book_id, trade_id)
    SELECT a.book_id, a.trade_id FROM audit_log AS a WHERE a.recorded_at IS NOT NULL AND
        NOT EXISTS (SELECT 1 FROM trades AS t WHERE t.trade_id = a.trade_id AND
                    t.book_id = a.book_id);
DROP INDEX IF EXISTS audit_log_trade_id;
CREATE INDEX IF NOT EXISTS audit_log_trade_recorded ON audit_log (trade_id, recorded_at, id);

INSERT INTO schema_version (version) VALUES (6);
)sql";

// Version 7: the change outbox (tradestore::ChangeOutbox), as in the PostgreSQL store. With
// change_feed set, apply() and expire() put the ids of the version entries they write here, in
// their transaction; the publisher reads the oldest and deletes their rows once published.
constexpr const char* kSchemaV7 = R"sql(
CREATE TABLE IF NOT EXISTS change_outbox (
    history_id INTEGER NOT NULL PRIMARY KEY
);

INSERT INTO schema_version (version) VALUES (7);
)sql";

}  // namespace

int schema_version(Connection& connection) {
    Statement exists(connection.handle(),
                     "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND "
                     "name = 'schema_version'");
    StatementUse use_exists(exists);
    if (!exists.step() || exists.column_int(0) == 0) return 0;

    Statement version(connection.handle(), "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    StatementUse use_version(version);
    return version.step() ? static_cast<int>(version.column_int(0)) : 0;
}

void migrate(Connection& writer) {
    Transaction transaction(writer);  // BEGIN IMMEDIATE: one process migrates at a time
    writer.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const int current = schema_version(writer);
    if (current > kSchemaVersion) {
        throw std::runtime_error("sqlite-store: the database has schema version " +
                                 std::to_string(current) + ", newer than this plugin's " +
                                 std::to_string(kSchemaVersion) + "; upgrade the plugin");
    }
    if (current < 1) writer.execute(kSchemaV1);
    if (current < 2) writer.execute(kSchemaV2);
    if (current < 3) writer.execute(kSchemaV3);
    if (current < 4) writer.execute(kSchemaV4);
    if (current < 5) writer.execute(kSchemaV5);
    if (current < 6) writer.execute(kSchemaV6);
    if (current < 7) writer.execute(kSchemaV7);
    // Later versions: if (current < 8) writer.execute(kSchemaV8); ...
    transaction.commit();
}

}  // namespace tradestore::plugins::sqlite
