#include "schema.h"

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

}  // namespace

int schema_version(Connection& connection) {
    const Result exists = connection.execute("SELECT to_regclass('schema_version') IS NOT NULL");
    if (exists.rows() != 1 || exists.text(0, 0) != "t") return 0;
    const Result version = connection.execute(kSelectVersion);
    return version.rows() == 1 ? static_cast<int>(version.integer(0, 0)) : 0;
}

void migrate(Connection& connection) {
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
        // Later versions: if (current < 2) connection.execute(kSchemaV2); ...
        connection.execute("COMMIT");
    } catch (...) {
        connection.rollback_quietly();
        throw;
    }
}

}  // namespace tradestore::plugins::pg
