#include "schema.h"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "connection.h"

namespace tradestore::plugins::pg {
namespace {

// One advisory-lock key per schema, so that stores in different schemas of one database do
// not wait for each other's migrations.
constexpr const char* kLockMigration =
    "SELECT pg_advisory_xact_lock(hashtextextended('tradestore-schema:' || "
    "coalesce(current_schema(), ''), 0))";

constexpr const char* kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER NOT NULL, "
    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())";

constexpr const char* kSelectVersion = "SELECT coalesce(max(version), 0) FROM schema_version";

// Version 1.
//  - trade_id is COLLATE "C" everywhere, so ORDER BY trade_id is bytewise, as in SQLite.
//  - Dates are DATE; last_updated, deleted_at and the audit timestamp are TIMESTAMPTZ
//    (microsecond precision, the resolution of tradestore::Timestamp).
//  - audit_log is append-only, but for `shipped`, the audit outbox (as in the SQLite store):
//    false until the entry has been shipped to the external audit store, then true; the
//    partial index audit_log_unshipped holds the unshipped ids alone, so the shipper reads
//    the backlog, not the history. Shipped entries may be pruned by age. Rows arrive in id
//    and time order, so the timestamp index (for that pruning) is a BRIN index: next to
//    nothing to maintain per insert, where a B-tree would add a sixth to apply()'s WAL.
//    reason_codes is a comma-separated list of UPPER_SNAKE_CASE codes ('' when none).
//  - trade_tombstones keeps the last version of a deleted trade; only a higher one restores
//    it. source_positions never move back. job_runs holds one row per claimed job period.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE trades (
    trade_id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version          BIGINT      NOT NULL,
    counter_party_id TEXT        NOT NULL,
    book_id          TEXT        NOT NULL,
    maturity_date    DATE        NOT NULL,
    created_date     DATE        NOT NULL,
    expired          BOOLEAN     NOT NULL DEFAULT false,
    last_updated     TIMESTAMPTZ NOT NULL
);
CREATE INDEX trades_book_id ON trades (book_id);
CREATE INDEX trades_maturity_date ON trades (maturity_date);
CREATE INDEX trades_expired ON trades (expired);
CREATE INDEX trades_counter_party_id ON trades (counter_party_id);
CREATE INDEX trades_book_expired_maturity ON trades (book_id, expired, maturity_date);

CREATE TABLE audit_log (
    id               BIGSERIAL   PRIMARY KEY,
    trade_id         TEXT COLLATE "C" NOT NULL,
    action           TEXT        NOT NULL,
    status           TEXT        NOT NULL CHECK (status IN ('success', 'failed')),
    reason_codes     TEXT        NOT NULL DEFAULT '',
    message          TEXT        NOT NULL DEFAULT '',
    received_version BIGINT,
    stored_version   BIGINT,
    source           TEXT        NOT NULL,
    reference        TEXT        NOT NULL DEFAULT '',
    "timestamp"      TIMESTAMPTZ NOT NULL,
    shipped          BOOLEAN     NOT NULL DEFAULT false
);
CREATE INDEX audit_log_trade_id ON audit_log (trade_id, id);
CREATE INDEX audit_log_timestamp ON audit_log USING brin ("timestamp");
CREATE INDEX audit_log_unshipped ON audit_log (id) WHERE NOT shipped;

CREATE TABLE trade_tombstones (
    trade_id   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    version    BIGINT      NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE source_positions (
    source      TEXT    NOT NULL,
    stream      TEXT    NOT NULL,
    "partition" INTEGER NOT NULL,
    "offset"    BIGINT  NOT NULL,
    PRIMARY KEY (source, stream, "partition")
);

CREATE TABLE job_runs (
    job        TEXT        NOT NULL,
    period     BIGINT      NOT NULL,
    claimed_by TEXT        NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (job, period)
);

INSERT INTO schema_version (version) VALUES (1);
)sql";

// Version 2: tamper-evident audit. Retention of audit rows goes through one function,
// prune_shipped_audit(cut-off, most rows), which deletes only shipped rows older than both the
// cut-off and the floor in audit_retention (a single row; 0 means no floor). It runs with its
// owner's rights (SECURITY DEFINER, search_path pinned to this schema so that no object of
// the caller's can stand in for a table), so a writer role that holds no DELETE on audit_log
// (secure_for_writer below) can still prune, but only what the floor allows. Only the schema's
// owner can change the floor.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE audit_retention (
    singleton BOOLEAN  NOT NULL DEFAULT true PRIMARY KEY CHECK (singleton),
    min_age   INTERVAL NOT NULL DEFAULT '0' CHECK (min_age >= '0')
);
INSERT INTO audit_retention DEFAULT VALUES;

CREATE FUNCTION prune_shipped_audit(cutoff TIMESTAMPTZ, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    floor_age INTERVAL;
    deleted   BIGINT;
BEGIN
    SELECT min_age INTO STRICT floor_age FROM audit_retention;
    DELETE FROM audit_log WHERE id IN (
        SELECT id FROM audit_log
        WHERE shipped
          AND "timestamp" < coalesce(cutoff, 'infinity')
          AND (floor_age = '0' OR "timestamp" < now() - floor_age)
        LIMIT max_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$;
REVOKE ALL ON FUNCTION prune_shipped_audit(TIMESTAMPTZ, BIGINT) FROM PUBLIC;
DO $pin$ BEGIN
    EXECUTE format('ALTER FUNCTION prune_shipped_audit(TIMESTAMPTZ, BIGINT) '
                   'SET search_path = %I, pg_temp', current_schema());
END $pin$;

INSERT INTO schema_version (version) VALUES (2);
)sql";

// Version 3: the event outbox. System events (STARTED, STOPPED, STORE_DOWN, ...) wait in
// event_outbox until shipped to the external event store, like audit entries: shipped is false
// until then, and the partial index event_outbox_unshipped holds the backlog alone, in the
// order it is shipped (timestamp, then id). id is the event's own id, fixed when it was
// emitted, so an append retried after a lost COMMIT stores the event once. Events are part of
// the audit trail: the writer cannot delete them either; prune_shipped_events, a sibling of
// prune_shipped_audit, deletes shipped ones older than the cut-off and the same floor.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE event_outbox (
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    event_type  TEXT        NOT NULL,
    severity    TEXT        NOT NULL CHECK (severity IN ('INFO', 'WARNING', 'ERROR')),
    data        TEXT        NOT NULL DEFAULT '{}',
    "timestamp" TIMESTAMPTZ NOT NULL,
    shipped     BOOLEAN     NOT NULL DEFAULT false
);
CREATE INDEX event_outbox_unshipped ON event_outbox ("timestamp", id) WHERE NOT shipped;
CREATE INDEX event_outbox_timestamp ON event_outbox ("timestamp");

CREATE FUNCTION prune_shipped_events(cutoff TIMESTAMPTZ, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    floor_age INTERVAL;
    deleted   BIGINT;
BEGIN
    SELECT min_age INTO STRICT floor_age FROM audit_retention;
    DELETE FROM event_outbox WHERE id IN (
        SELECT id FROM event_outbox
        WHERE shipped
          AND "timestamp" < coalesce(cutoff, 'infinity')
          AND (floor_age = '0' OR "timestamp" < now() - floor_age)
        LIMIT max_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$;
REVOKE ALL ON FUNCTION prune_shipped_events(TIMESTAMPTZ, BIGINT) FROM PUBLIC;
DO $pin$ BEGIN
    EXECUTE format('ALTER FUNCTION prune_shipped_events(TIMESTAMPTZ, BIGINT) '
                   'SET search_path = %I, pg_temp', current_schema());
END $pin$;

INSERT INTO schema_version (version) VALUES (3);
)sql";

// Version 4: idempotency keys (Batch::idempotency), as in the SQLite store: one row per
// claimed key, written in the transaction of the request's decisions, with the hash of the
// request that claimed it and the answer it got, kept until expires_at and then pruned (an
// expired row may also be taken over by a new claim of its key). Not part of the audit trail:
// the writer updates and deletes these rows.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE idempotency_keys (
    key          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    request_hash TEXT        NOT NULL,
    status       INTEGER     NOT NULL,
    body         TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);

INSERT INTO schema_version (version) VALUES (4);
)sql";

// Version 5: less index upkeep per trade write (the profile of a Kafka batch, README
// "PostgreSQL write cost"). Every version of a trade that changes an indexed column rewrites
// an entry in each index of trades; of the six, three served no query: trades_book_id (the
// composite (book_id, expired, maturity_date) serves list_by_book), trades_expired (a boolean:
// expire scans trades_maturity_date for maturity_date < the business date) and
// trades_counter_party_id (no query filters on it). A fillfactor below 100 leaves room on each
// page, so that a new version that keeps its book and maturity date (no indexed column
// changed) is a HOT update: no index entry at all. It applies to pages written from now on.
// The names are qualified with the store's schema: a search_path that also names another
// schema must not make this drop that schema's index.
constexpr const char* kSchemaV5 = R"sql(
DO $drop$ BEGIN
    EXECUTE format('DROP INDEX IF EXISTS %1$I.trades_book_id, %1$I.trades_expired, '
                   '%1$I.trades_counter_party_id', current_schema());
END $drop$;
ALTER TABLE trades SET (fillfactor = 90);

INSERT INTO schema_version (version) VALUES (5);
)sql";

// Version 6: trade history. The audit entry of every accepted version (CREATE, UPDATE,
// REPLACE, EXPIRE, DELETE) also keeps the trade as that version left it and recorded_at, the
// transaction time from the server's clock read once the ids are locked, strictly increasing
// per trade (tradestore::next_recorded_at; it equals the trades row's last_updated for the
// version that row holds, and a tombstone's deleted_at is its DELETE's). Such a "version
// entry" (recorded_at set) is the trade's history: one row and the audit_log_trade_id index
// serve both, so history adds no index entry per message (a table of its own cost +23% of
// PostgreSQL's CPU per Kafka message). Rejections, dead letters and entries written before
// this version have NULL there. Version entries are immutable like every audit row, and the
// retention function now keeps them: they are the history, not the outbox's leftovers. The
// BRIN index on the timestamp served only that pruning: it gives way to a partial B-tree over
// the entries that may be pruned, so a version entry (nearly every entry) writes one index
// entry less, and a prune does not walk the history. (Built in the migration's transaction:
// on a large audit_log the upgrade holds writes back for one scan of the table.)
constexpr const char* kSchemaV6 = R"sql(
ALTER TABLE audit_log
    ADD COLUMN recorded_at      TIMESTAMPTZ,
    ADD COLUMN counter_party_id TEXT,
    ADD COLUMN book_id          TEXT,
    ADD COLUMN maturity_date    DATE,
    ADD COLUMN created_date     DATE,
    ADD COLUMN expired          BOOLEAN,
    ADD COLUMN business_date    DATE;
DO $drop$ BEGIN
    EXECUTE format('DROP INDEX IF EXISTS %I.audit_log_timestamp', current_schema());
END $drop$;
CREATE INDEX audit_log_prunable ON audit_log ("timestamp") WHERE recorded_at IS NULL;

CREATE OR REPLACE FUNCTION prune_shipped_audit(cutoff TIMESTAMPTZ, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    floor_age INTERVAL;
    deleted   BIGINT;
BEGIN
    SELECT min_age INTO STRICT floor_age FROM audit_retention;
    DELETE FROM audit_log WHERE id IN (
        SELECT id FROM audit_log
        WHERE shipped
          AND recorded_at IS NULL
          AND "timestamp" < coalesce(cutoff, 'infinity')
          AND (floor_age = '0' OR "timestamp" < now() - floor_age)
        LIMIT max_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$;
DO $pin$ BEGIN
    EXECUTE format('ALTER FUNCTION prune_shipped_audit(TIMESTAMPTZ, BIGINT) '
                   'SET search_path = %I, pg_temp', current_schema());
END $pin$;

INSERT INTO schema_version (version) VALUES (6);
)sql";

// Version 7: snapshots as of an instant (TradeHistory::trades_at and book_at). A trade's
// version at an instant is one probe of an index on (trade_id, recorded_at): it replaces
// audit_log_trade_id (trade_id, id), so there is still one index entry per audit row (the
// audit of one trade, in id order, now sorts that trade's entries). A book's trades at an
// instant are those in it now, those that were in it before (trades.former_books, kept in the
// row that a move rewrites anyway: a table of departures cost +29% of PostgreSQL's CPU per
// Kafka message in a feed that moves every version, bench/postgres_ingest_bench.cpp) and
// deleted ones that were (book_departures, written by the delete). book_departures starts
// with every (book, trade) of the history so far that the trades table does not show; more
// than needed is harmless, as each trade's version at the instant decides.
constexpr const char* kSchemaV7 = R"sql(
ALTER TABLE trades ADD COLUMN former_books TEXT[];
CREATE TABLE book_departures (
    book_id  TEXT COLLATE "C" NOT NULL,
    trade_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (book_id, trade_id)
);
INSERT INTO book_departures (book_id, trade_id)
SELECT DISTINCT a.book_id, a.trade_id
FROM audit_log a LEFT JOIN trades t ON t.trade_id = a.trade_id
WHERE a.recorded_at IS NOT NULL AND (t.trade_id IS NULL OR t.book_id <> a.book_id);
CREATE INDEX audit_log_trade_recorded ON audit_log (trade_id, recorded_at, id);
DO $drop$ BEGIN
    EXECUTE format('DROP INDEX IF EXISTS %I.audit_log_trade_id', current_schema());
END $drop$;

INSERT INTO schema_version (version) VALUES (7);
)sql";

// Version 8: the change outbox (tradestore::ChangeOutbox). With change_feed set, the
// statement that writes version entries also puts their ids here, in the same transaction;
// the publisher reads the oldest, publishes them and deletes their rows. A narrow table of its
// own rather than a flag on audit_log: marking a row published then deletes 8 bytes instead
// of rewriting a wide, immutable audit row, and with the feed off nothing is written at all.
constexpr const char* kSchemaV8 = R"sql(
CREATE TABLE change_outbox (
    history_id BIGINT NOT NULL PRIMARY KEY
);

INSERT INTO schema_version (version) VALUES (8);
)sql";

// Version 9: history retention (TradeHistory::prune_history), through an owner function like
// the audit's pruning, with the same floor (audit_retention): a version entry recorded before
// the cut-off goes when a later one of its trade, also before the cut-off, supersedes it; each
// trade keeps its last version before it, and rows waiting in change_outbox stay. The rows
// are found by a scan in physical order (oldest first, so a chunk's LIMIT is reached early)
// with one probe of audit_log_trade_recorded each: no index of its own, so no cost per write.
constexpr const char* kSchemaV9 = R"sql(
CREATE FUNCTION prune_history(cutoff TIMESTAMPTZ, max_rows BIGINT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
DECLARE
    floor_age INTERVAL;
    deleted   BIGINT;
BEGIN
    SELECT min_age INTO STRICT floor_age FROM audit_retention;
    DELETE FROM audit_log WHERE id IN (
        SELECT a.id FROM audit_log a
        WHERE a.recorded_at < coalesce(cutoff, 'infinity')
          AND (floor_age = '0' OR a.recorded_at < now() - floor_age)
          AND EXISTS (SELECT 1 FROM audit_log later
                      WHERE later.trade_id = a.trade_id AND later.recorded_at > a.recorded_at
                        AND later.recorded_at < coalesce(cutoff, 'infinity'))
          AND NOT EXISTS (SELECT 1 FROM change_outbox o WHERE o.history_id = a.id)
        LIMIT max_rows);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END
$fn$;
REVOKE ALL ON FUNCTION prune_history(TIMESTAMPTZ, BIGINT) FROM PUBLIC;
DO $pin$ BEGIN
    EXECUTE format('ALTER FUNCTION prune_history(TIMESTAMPTZ, BIGINT) '
                   'SET search_path = %I, pg_temp', current_schema());
END $pin$;

INSERT INTO schema_version (version) VALUES (9);
)sql";

// What the writer role may do (see secure_for_writer): %1$I is the schema, %2$I the writer,
// a role other than the schema's owner. No DDL, no UPDATE of audit rows but the outbox
// marker, no DELETE of audit rows or events at all (retention goes through the prune_shipped_*
// functions).
constexpr const char* kGrantWriter = R"sql(
SELECT format($g$
GRANT USAGE ON SCHEMA %1$I TO %2$I;
GRANT SELECT ON schema_version, audit_retention TO %2$I;
GRANT SELECT, INSERT, UPDATE, DELETE ON trades, trade_tombstones TO %2$I;
GRANT SELECT, INSERT, UPDATE ON source_positions TO %2$I;
GRANT SELECT, INSERT, DELETE ON job_runs TO %2$I;
GRANT SELECT, INSERT ON audit_log TO %2$I;
GRANT SELECT, INSERT ON book_departures TO %2$I;
GRANT SELECT, INSERT, DELETE ON change_outbox TO %2$I;
GRANT UPDATE (shipped) ON audit_log TO %2$I;
GRANT USAGE ON SEQUENCE audit_log_id_seq TO %2$I;
GRANT EXECUTE ON FUNCTION prune_shipped_audit(TIMESTAMPTZ, BIGINT) TO %2$I;
GRANT EXECUTE ON FUNCTION prune_history(TIMESTAMPTZ, BIGINT) TO %2$I;
GRANT SELECT, INSERT ON event_outbox TO %2$I;
GRANT UPDATE (shipped) ON event_outbox TO %2$I;
GRANT EXECUTE ON FUNCTION prune_shipped_events(TIMESTAMPTZ, BIGINT) TO %2$I;
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO %2$I;
$g$, current_schema(), )sql";

}  // namespace

int schema_version(Connection& connection) {
    const Result exists = connection.execute("SELECT to_regclass('schema_version') IS NOT NULL");
    if (exists.rows() != 1 || exists.text(0, 0) != "t") return 0;
    const Result version = connection.execute(kSelectVersion);
    return version.rows() == 1 ? static_cast<int>(version.integer(0, 0)) : 0;
}

void migrate(Connection& connection) {
    // Up to date: nothing to lock or create, so a role without DDL rights can open the store.
    if (schema_version(connection) == kSchemaVersion) return;
    connection.execute("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
        connection.execute(kLockMigration);
        connection.execute(kCreateVersionTable);
        const Result result = connection.execute(kSelectVersion);
        const int current = static_cast<int>(result.integer(0, 0));
        if (current > kSchemaVersion) {
            throw std::runtime_error("postgres-store: the database has schema version " +
                                     std::to_string(current) + ", newer than this plugin's " +
                                     std::to_string(kSchemaVersion) + "; upgrade the plugin");
        }
        if (current < 1) connection.execute(kSchemaV1);
        if (current < 2) connection.execute(kSchemaV2);
        if (current < 3) connection.execute(kSchemaV3);
        if (current < 4) connection.execute(kSchemaV4);
        if (current < 5) connection.execute(kSchemaV5);
        if (current < 6) connection.execute(kSchemaV6);
        if (current < 7) connection.execute(kSchemaV7);
        if (current < 8) connection.execute(kSchemaV8);
        if (current < 9) connection.execute(kSchemaV9);
        // Later versions: if (current < 10) connection.execute(kSchemaV10); ...
        connection.execute("COMMIT");
    } catch (...) {
        connection.rollback_quietly();
        throw;
    }
}

void secure_for_writer(Connection& owner, const std::string& writer_role, std::int64_t floor_days) {
    // Under the migration lock: concurrent GRANTs on one object can fail with "tuple
    // concurrently updated" when several instances start at once.
    owner.execute("BEGIN ISOLATION LEVEL READ COMMITTED");
    try {
        owner.execute(kLockMigration);
        // The statements are built by the server (format's %I quotes the names).
        const std::string build = std::string(kGrantWriter) + owner.literal(writer_role) + ")";
        const Result grants = owner.execute(build.c_str());
        owner.execute(std::string(grants.text(0, 0)).c_str());
        const std::string floor = "make_interval(days => " + std::to_string(floor_days) + ")";
        const std::string update =
            "UPDATE audit_retention SET min_age = " + floor + " WHERE min_age <> " + floor;
        owner.execute(update.c_str());
        owner.execute("COMMIT");
    } catch (...) {
        owner.rollback_quietly();
        throw;
    }
}

}  // namespace tradestore::plugins::pg
