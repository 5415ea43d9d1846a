#include "queries.h"

#include <array>
#include <iterator>
#include <string>

namespace tradestore::plugins::pg {

// How values cross the wire (all parameters and results are text):
//  - many rows at once: text-format arrays (see array_literal.h), expanded with unnest() in
//    one set-based statement; WITH ORDINALITY keeps the batch's order where it matters;
//  - dates: integer days since 1970-01-01, exact and independent of the session's DateStyle,
//    except the business date of statistics and expire, passed as 'YYYY-MM-DD' (ISO input
//    is DateStyle-independent, and expire writes it into the audit message);
//  - timestamps: bigint microseconds since the Unix epoch (UTC), exact both ways.
// Trade ids compare in the "C" collation (bytewise), as declared on the columns.
// A version entry of audit_log as HistoryByTrade and HistoryAt select it (history_column in
// queries.h). A macro, so that each query stays one string literal.
#define VERSION_ENTRIES_COLUMNS                                                             \
    "trade_id, coalesce(received_version, stored_version), counter_party_id, book_id, "     \
    "maturity_date - DATE '1970-01-01', created_date - DATE '1970-01-01', expired, "        \
    "(EXTRACT(EPOCH FROM recorded_at) * 1000000)::bigint, action, stored_version, source, " \
    "reference, business_date - DATE '1970-01-01'"
#define VERSION_ENTRIES_SELECT "SELECT " VERSION_ENTRIES_COLUMNS " FROM audit_log "

// InsertAudit's statement (see there), shared with InsertAuditQueueChanges.
#define INSERT_AUDIT                                                              \
    "INSERT INTO audit_log (trade_id, action, status, reason_codes, message, "    \
    "received_version, stored_version, source, reference, \"timestamp\", "        \
    "recorded_at, counter_party_id, book_id, maturity_date, created_date, "       \
    "expired, business_date) "                                                    \
    "SELECT u.id, u.action, u.status, u.codes, u.message, u.received, u.stored, " \
    "u.source, u.reference, "                                                     \
    "TIMESTAMPTZ 'epoch' + $10::bigint * INTERVAL '1 microsecond', "              \
    "TIMESTAMPTZ 'epoch' + u.at * INTERVAL '1 microsecond', u.cp, u.b, "          \
    "DATE '1970-01-01' + u.m, DATE '1970-01-01' + u.c, "                          \
    "CASE WHEN u.at IS NOT NULL THEN false END, "                                 \
    "CASE WHEN u.at IS NOT NULL THEN DATE '1970-01-01' + $11::int END "           \
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "    \
    "$6::bigint[], $7::bigint[], $8::text[], $9::text[], $12::bigint[], "         \
    "$13::text[], $14::text[], $15::int[], $16::int[]) WITH ORDINALITY "          \
    "AS u(id, action, status, codes, message, received, stored, source, "         \
    "reference, at, cp, b, m, c, n) "                                             \
    "ORDER BY u.n"

// Expire's two steps: the trades due, locked in trade id order and marked (a CTE list after
// WITH), then the audit entries of the marked ones (after INSERT INTO audit_log).
#define EXPIRE_MARKED                                                         \
    " due AS MATERIALIZED (SELECT trade_id FROM trades "                      \
    "WHERE NOT expired AND maturity_date < $1::date "                         \
    "ORDER BY trade_id FOR UPDATE), "                                         \
    "marked AS (UPDATE trades t SET expired = true, last_updated = "          \
    "GREATEST(clock_timestamp(), t.last_updated + INTERVAL '1 microsecond') " \
    "FROM due WHERE t.trade_id = due.trade_id "                               \
    "AND NOT t.expired AND t.maturity_date < $1::date "                       \
    "RETURNING t.*)"
#define EXPIRE_AUDIT_ROWS                                                         \
    "(trade_id, action, status, reason_codes, message, "                          \
    "received_version, stored_version, source, reference, \"timestamp\", "        \
    "recorded_at, counter_party_id, book_id, maturity_date, created_date, "       \
    "expired, business_date) "                                                    \
    "SELECT trade_id, 'EXPIRE', 'success', '', "                                  \
    "'Trade ' || trade_id || ': version ' || version || "                         \
    "' expired; maturity date ' || to_char(maturity_date, 'YYYY-MM-DD') || "      \
    "' is before the business date ' || $1::text, "                               \
    "NULL, version, $2::text, $1::text, "                                         \
    "TIMESTAMPTZ 'epoch' + $3::bigint * INTERVAL '1 microsecond', last_updated, " \
    "counter_party_id, book_id, maturity_date, created_date, true, $1::date "     \
    "FROM marked ORDER BY trade_id"

const char* sql(Query query) {
    switch (query) {
        case Query::Begin:
            return "BEGIN ISOLATION LEVEL READ COMMITTED";
        case Query::Commit:
            return "COMMIT";

        case Query::KeyLookupsOnly:
            // For the rest of apply()'s transaction. Every statement of apply() finds its rows
            // by key, so a sequential scan is never the right plan there; but a prepared
            // statement's generic plan is costed once, at its sixth run on a connection, and
            // on a fresh database the tables then hold a page or two: a sequential scan
            // cached at that moment stayed until autoanalyze next invalidated it (ReadState
            // 34 us -> 3.3 ms per batch, REST POST at a third of its rate for the first
            // minute, bench/postgres_http_vs_pgbench.sh). Plans made under this setting keep
            // it, and these statements run nowhere else.
            return "SET LOCAL enable_seqscan = off";
        case Query::TransactionId:
            // The transaction's id, assigned now: epoch-qualified (xid8), so it names this
            // transaction even across xid wraparound; pg_xact_status() takes it after a
            // connection lost during COMMIT. With the server's start time (micros), which
            // tells whether it restarted in between.
            return "SELECT pg_current_xact_id(), "
                   "(EXTRACT(EPOCH FROM pg_postmaster_start_time()) * 1000000)::bigint";
        case Query::EnsurePositions:
            // $1..$3: the batch's partitions (source, stream, partition), in key order. A
            // partition never seen gets a row with no offset yet (-1), so that LockPositions
            // has a row to lock; concurrent inserters of one key wait for each other.
            return "INSERT INTO source_positions (source, stream, \"partition\", \"offset\") "
                   "SELECT u.s, u.st, u.p, -1 "
                   "FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY "
                   "AS u(s, st, p, n) ORDER BY u.n "
                   "ON CONFLICT (source, stream, \"partition\") DO NOTHING";
        case Query::LockPositions:
            // $1..$3 as EnsurePositions. Locks each partition's row (a primary-key lookup per
            // key, in the order given: neither subquery is flattened) and returns its offset,
            // one row per key in that order. Taken before the trade ids' locks, by Kafka
            // transactions only, so that REST ones (ids only) cannot deadlock with them.
            return "SELECT k.n, p.o "
                   "FROM (SELECT u.s, u.st, u.p, u.n "
                   "FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY "
                   "AS u(s, st, p, n) ORDER BY u.n) AS k "
                   "CROSS JOIN LATERAL (SELECT sp.\"offset\" AS o FROM source_positions sp "
                   "WHERE sp.source = k.s AND sp.stream = k.st AND sp.\"partition\" = k.p "
                   "FOR UPDATE) AS p";
        case Query::LockKeys:
            // $1: the advisory-lock keys of the batch's trade ids. The subquery's ORDER BY is
            // kept (a sorted subquery is not flattened), so every transaction takes its locks
            // in ascending key order and two batches can never deadlock on them.
            return "SELECT pg_advisory_xact_lock(k) "
                   "FROM (SELECT DISTINCT k FROM unnest($1::bigint[]) AS u(k) ORDER BY k) AS s";
        case Query::Clock:
            // The server's clock once the batch's ids are locked (a statement that starts
            // after LockKeys): what every version the batch accepts is recorded at, at least.
            return "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint";
        case Query::ReadState:
            // $1: trade ids. Live rows, then tombstones (the version in the last column).
            return "SELECT trade_id, version, counter_party_id, book_id, "
                   "maturity_date - DATE '1970-01-01', created_date - DATE '1970-01-01', "
                   "expired, (EXTRACT(EPOCH FROM last_updated) * 1000000)::bigint, "
                   "NULL::bigint "
                   "FROM trades WHERE trade_id = ANY($1::text[]) "
                   "UNION ALL "
                   "SELECT trade_id, NULL, NULL, NULL, NULL, NULL, NULL, "
                   "(EXTRACT(EPOCH FROM deleted_at) * 1000000)::bigint, version "
                   "FROM trade_tombstones WHERE trade_id = ANY($1::text[])";
        case Query::InsertTrades:
            // Ids that had no row when their locks were taken: no other writer can insert
            // them before this transaction ends, so a plain insert (cheaper than an upsert's
            // speculative insertion) is safe.
            // $8: per id, the books it left within the batch (a text[] literal, or NULL).
            return "INSERT INTO trades (trade_id, version, counter_party_id, book_id, "
                   "maturity_date, created_date, expired, last_updated, former_books) "
                   "SELECT u.id, u.v, u.cp, u.b, DATE '1970-01-01' + u.m, "
                   "DATE '1970-01-01' + u.c, false, "
                   "TIMESTAMPTZ 'epoch' + u.lu * INTERVAL '1 microsecond', u.fb::text[] "
                   "FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], "
                   "$6::int[], $7::bigint[], $8::text[]) AS u(id, v, cp, b, m, c, lu, fb)";
        case Query::UpsertTrades:
            // Ids that had a row: one row per id (the batch's last accepted version), updated
            // in trade_id order, the order in which expire locks rows, so the two cannot
            // deadlock. (The upsert form keeps that order; the rows exist and stay, so it
            // always takes the update path.) $8 as InsertTrades': books left are added to the
            // row's former_books unless it has them all (a book seldom appears twice: only
            // when the batch left one known and one new; a DISTINCT over the union instead
            // cost +12% of PostgreSQL's CPU in a feed that moves every version).
            return "INSERT INTO trades (trade_id, version, counter_party_id, book_id, "
                   "maturity_date, created_date, expired, last_updated, former_books) "
                   "SELECT u.id, u.v, u.cp, u.b, DATE '1970-01-01' + u.m, "
                   "DATE '1970-01-01' + u.c, false, "
                   "TIMESTAMPTZ 'epoch' + u.lu * INTERVAL '1 microsecond', u.fb::text[] "
                   "FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::int[], "
                   "$6::int[], $7::bigint[], $8::text[]) AS u(id, v, cp, b, m, c, lu, fb) "
                   "ORDER BY u.id COLLATE \"C\" "
                   "ON CONFLICT (trade_id) DO UPDATE SET version = EXCLUDED.version, "
                   "counter_party_id = EXCLUDED.counter_party_id, book_id = EXCLUDED.book_id, "
                   "maturity_date = EXCLUDED.maturity_date, "
                   "created_date = EXCLUDED.created_date, expired = false, "
                   "last_updated = EXCLUDED.last_updated, "
                   "former_books = CASE WHEN EXCLUDED.former_books <@ trades.former_books "
                   "IS NOT FALSE THEN coalesce(trades.former_books, EXCLUDED.former_books) "
                   "ELSE trades.former_books || EXCLUDED.former_books END";
        case Query::DeleteTombstones:
            return "DELETE FROM trade_tombstones WHERE trade_id = ANY($1::text[])";
        case Query::DeleteTrades:
            // Ids that end the batch deleted: $1 those whose row goes; $2..$4 every one's id,
            // version deleted and tombstone time (micros); $5/$6 the books they left in the
            // batch (BookDeparture). Every book a deleted trade was ever in (its row's book
            // and former_books, and those) goes to book_departures: nothing else will say so.
            return "WITH gone AS (DELETE FROM trades WHERE trade_id = ANY($1::text[]) "
                   "RETURNING trade_id, book_id, former_books), "
                   "stones AS (INSERT INTO trade_tombstones (trade_id, version, deleted_at) "
                   "SELECT u.id, u.v, TIMESTAMPTZ 'epoch' + u.at * INTERVAL '1 microsecond' "
                   "FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(id, v, at) "
                   "ORDER BY u.id COLLATE \"C\" "
                   "ON CONFLICT (trade_id) DO UPDATE SET "
                   "version = GREATEST(trade_tombstones.version, EXCLUDED.version), "
                   "deleted_at = EXCLUDED.deleted_at) "
                   "INSERT INTO book_departures (book_id, trade_id) "
                   "SELECT DISTINCT b, t FROM (SELECT unnest(g.former_books || g.book_id) AS b, "
                   "g.trade_id AS t FROM gone g UNION ALL SELECT u.b, u.t "
                   "FROM unnest($5::text[], $6::text[]) AS u(b, t)) x "
                   "ON CONFLICT DO NOTHING";
        case Query::InsertAudit:
            // In the batch's order, so audit ids follow the order of the decisions. $11 the
            // business date (days); $12..$16 the version each accepted decision stores (its
            // recorded_at in micros, counterparty, book, maturity and created days), NULL for
            // a rejection or an audit-only entry: those columns make it a version entry.
            return INSERT_AUDIT;
        case Query::InsertAuditQueueChanges:
            // InsertAudit, and each version entry's id into the change outbox, in id order.
            return "WITH logged AS (" INSERT_AUDIT
                   " RETURNING id, recorded_at) "
                   "INSERT INTO change_outbox (history_id) "
                   "SELECT id FROM logged WHERE recorded_at IS NOT NULL ORDER BY id";
        case Query::UpsertPositions:
            // One row per (source, stream, partition), in key order; never moves back.
            return "INSERT INTO source_positions (source, stream, \"partition\", \"offset\") "
                   "SELECT u.source, u.stream, u.p, u.o "
                   "FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) "
                   "AS u(source, stream, p, o) "
                   "ORDER BY u.source COLLATE \"C\", u.stream COLLATE \"C\", u.p "
                   "ON CONFLICT (source, stream, \"partition\") DO UPDATE SET "
                   "\"offset\" = GREATEST(source_positions.\"offset\", EXCLUDED.\"offset\")";

        case Query::Expire:
            // $1 business date 'YYYY-MM-DD', $2 source, $3 now (micros). Marks and audits in
            // one statement, so there is exactly one EXPIRE entry per marked trade even with
            // concurrent writers; the rows are locked in trade_id order (as UpsertTrades
            // locks them). Each entry is a version entry: the trade as marked, recorded at the
            // server's clock, strictly after its version before (the trade's new
            // last_updated); the entries' own timestamp is the run's ($3), one for the run, as
            // mongo-audit's TRADES_EXPIRED event counts them. Returns the number of rows
            // marked as the command's row count.
            return "WITH" EXPIRE_MARKED " INSERT INTO audit_log " EXPIRE_AUDIT_ROWS;
        case Query::ExpireQueueChanges:
            // Expire, and each EXPIRE entry's id into the change outbox (the same count).
            return "WITH" EXPIRE_MARKED ", logged AS (INSERT INTO audit_log " EXPIRE_AUDIT_ROWS
                   " RETURNING id) INSERT INTO change_outbox (history_id) "
                   "SELECT id FROM logged ORDER BY id";

        case Query::ClaimJobRun:
            // $1 job, $2 period, $3 who claims it. One row per (job, period): only the
            // instance whose insert lands gets a row back. Old periods are pruned on the way.
            return "WITH pruned AS (DELETE FROM job_runs WHERE job = $1::text "
                   "AND period < $2::bigint - 1000) "
                   "INSERT INTO job_runs (job, period, claimed_by) "
                   "VALUES ($1::text, $2::bigint, $3::text) "
                   "ON CONFLICT (job, period) DO NOTHING RETURNING period";

        case Query::UnshippedAudit:
            // Served by the partial index audit_log_unshipped (same predicate), in id order.
            // Tracked per entry: ids of concurrent transactions become visible out of order.
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, "
                   "(EXTRACT(EPOCH FROM \"timestamp\") * 1000000)::bigint "
                   "FROM audit_log WHERE NOT shipped ORDER BY id LIMIT $1::bigint";
        case Query::MarkAuditShipped:
            return "UPDATE audit_log SET shipped = true "
                   "WHERE id = ANY($1::bigint[]) AND NOT shipped";
        case Query::PruneShippedAudit:
            // $1 cut-off (micros; NULL: no limit), $2 most rows per statement, so that one
            // prune never holds many locks or writes a huge transaction. Through the schema's
            // function (see schema.cpp), which also keeps rows younger than the owner's floor
            // and is the only way a writer role may delete audit rows. Returns the count.
            return "SELECT prune_shipped_audit(TIMESTAMPTZ 'epoch' + "
                   "$1::bigint * INTERVAL '1 microsecond', $2::bigint)";
        case Query::UnshippedAuditCount:
            // Counted over the partial index audit_log_unshipped: the backlog alone.
            return "SELECT count(*) FROM audit_log WHERE NOT shipped";

        case Query::PruneHistory:
            // As PruneShippedAudit, through the schema's function prune_history.
            return "SELECT prune_history(TIMESTAMPTZ 'epoch' + "
                   "$1::bigint * INTERVAL '1 microsecond', $2::bigint)";

        case Query::UnpublishedChanges:
            // $1 limit. The oldest rows of the change outbox (its primary key, in id order),
            // each with its version entry (history_column, then the id).
            return "SELECT " VERSION_ENTRIES_COLUMNS
                   ", id FROM audit_log WHERE id IN "
                   "(SELECT history_id FROM change_outbox ORDER BY history_id "
                   "LIMIT $1::bigint) ORDER BY id";
        case Query::MarkChangesPublished:
            return "DELETE FROM change_outbox WHERE history_id = ANY($1::bigint[])";
        case Query::UnpublishedChangeCount:
            return "SELECT count(*) FROM change_outbox";

        case Query::AppendEvents:
            // $1..$5: ids, types, severities, data, timestamps (micros) of a batch, as arrays.
            // Idempotent on the event's id: a retried append keeps the first row as it is.
            return "INSERT INTO event_outbox (id, event_type, severity, data, \"timestamp\") "
                   "SELECT i, t, s, d, TIMESTAMPTZ 'epoch' + m * INTERVAL '1 microsecond' "
                   "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) "
                   "AS u(i, t, s, d, m) ON CONFLICT (id) DO NOTHING";
        case Query::UnshippedEvents:
            // Served by the partial index event_outbox_unshipped (same predicate and order).
            return "SELECT id, event_type, severity, data, "
                   "(EXTRACT(EPOCH FROM \"timestamp\") * 1000000)::bigint "
                   "FROM event_outbox WHERE NOT shipped ORDER BY \"timestamp\", id "
                   "LIMIT $1::bigint";
        case Query::MarkEventsShipped:
            return "UPDATE event_outbox SET shipped = true "
                   "WHERE id = ANY($1::text[]) AND NOT shipped";
        case Query::PruneShippedEvents:
            // As PruneShippedAudit, through the schema's sibling function.
            return "SELECT prune_shipped_events(TIMESTAMPTZ 'epoch' + "
                   "$1::bigint * INTERVAL '1 microsecond', $2::bigint)";

        case Query::ClaimIdempotencyKeys:
            // $1 keys (sorted), $2 request hashes, $3 expiries, $4 now (microseconds). A key
            // inserted by a transaction in flight makes this wait for its end; a row that has
            // expired (not pruned yet) is taken over; one that has not stays and returns no
            // row. The answer follows in AnswerIdempotencyKeys, in the same transaction.
            return "INSERT INTO idempotency_keys AS i (key, request_hash, status, body, "
                   "created_at, expires_at) "
                   "SELECT u.k, u.h, 0, '', "
                   "TIMESTAMPTZ 'epoch' + $4::bigint * INTERVAL '1 microsecond', "
                   "TIMESTAMPTZ 'epoch' + u.e * INTERVAL '1 microsecond' "
                   "FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(k, h, e) "
                   "ON CONFLICT (key) DO UPDATE SET request_hash = excluded.request_hash, "
                   "status = 0, body = '', created_at = excluded.created_at, "
                   "expires_at = excluded.expires_at "
                   "WHERE i.expires_at <= excluded.created_at RETURNING i.key";
        case Query::AnswerIdempotencyKeys:
            // $1 keys, $2 statuses, $3 bodies: the rows ClaimIdempotencyKeys wrote.
            return "UPDATE idempotency_keys AS i SET status = u.s, body = u.b "
                   "FROM unnest($1::text[], $2::int[], $3::text[]) AS u(k, s, b) "
                   "WHERE i.key = u.k";
        case Query::SelectIdempotencyKey:
            return "SELECT request_hash, status, body, "
                   "(EXTRACT(EPOCH FROM expires_at) * 1000000)::bigint "
                   "FROM idempotency_keys WHERE key = $1::text";
        case Query::PruneIdempotencyKeys:
            // $1 now (microseconds; NULL: every row), $2 most rows per statement; returns how
            // many it deleted. A range on idempotency_keys_expires_at.
            return "WITH pruned AS (DELETE FROM idempotency_keys WHERE key IN ("
                   "SELECT key FROM idempotency_keys WHERE expires_at <= coalesce("
                   "TIMESTAMPTZ 'epoch' + $1::bigint * INTERVAL '1 microsecond', 'infinity') "
                   "LIMIT $2::bigint) RETURNING 1) SELECT count(*) FROM pruned";

        case Query::SelectTrade:
            return "SELECT trade_id, version, counter_party_id, book_id, "
                   "maturity_date - DATE '1970-01-01', created_date - DATE '1970-01-01', "
                   "expired, (EXTRACT(EPOCH FROM last_updated) * 1000000)::bigint "
                   "FROM trades WHERE trade_id = $1::text";
        case Query::ListTrades:
            return "SELECT trade_id, version, counter_party_id, book_id, "
                   "maturity_date - DATE '1970-01-01', created_date - DATE '1970-01-01', "
                   "expired, (EXTRACT(EPOCH FROM last_updated) * 1000000)::bigint "
                   "FROM trades ORDER BY trade_id LIMIT $1::bigint OFFSET $2::bigint";
        case Query::ListTradesByBook:
            return "SELECT trade_id, version, counter_party_id, book_id, "
                   "maturity_date - DATE '1970-01-01', created_date - DATE '1970-01-01', "
                   "expired, (EXTRACT(EPOCH FROM last_updated) * 1000000)::bigint "
                   "FROM trades WHERE book_id = $1::text ORDER BY trade_id";
        case Query::Statistics:
            // The same rule as tradestore::is_expired.
            return "SELECT count(*), "
                   "count(*) FILTER (WHERE expired OR maturity_date < $1::date) FROM trades";
        case Query::AuditAll:
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, "
                   "(EXTRACT(EPOCH FROM \"timestamp\") * 1000000)::bigint "
                   "FROM audit_log ORDER BY id LIMIT $1::bigint OFFSET $2::bigint";
        case Query::AuditByTrade:
            return "SELECT id, trade_id, action, status, reason_codes, message, "
                   "received_version, stored_version, source, reference, "
                   "(EXTRACT(EPOCH FROM \"timestamp\") * 1000000)::bigint "
                   "FROM audit_log WHERE trade_id = $3::text "
                   "ORDER BY id LIMIT $1::bigint OFFSET $2::bigint";
        case Query::AuditCountAll:
            return "SELECT count(*) FROM audit_log";
        case Query::AuditCountByTrade:
            return "SELECT count(*) FROM audit_log WHERE trade_id = $1::text";
        case Query::HistoryByTrade:
            // $1 trade id, $2/$3 from/to (micros, inclusive; NULL: open), $4 limit, $5 skip.
            // The trade's version entries, oldest first: a range on audit_log_trade_recorded
            // (recorded_at increases strictly within a trade).
            return VERSION_ENTRIES_SELECT
                "WHERE trade_id = $1::text AND recorded_at IS NOT NULL "
                "AND recorded_at >= coalesce(TIMESTAMPTZ 'epoch' + $2::bigint * "
                "INTERVAL '1 microsecond', '-infinity') "
                "AND recorded_at <= coalesce(TIMESTAMPTZ 'epoch' + $3::bigint * "
                "INTERVAL '1 microsecond', 'infinity') "
                "ORDER BY recorded_at LIMIT $4::bigint OFFSET $5::bigint";
        case Query::HistoryAt:
            // $1 trade id, $2 an instant (micros): the trade's last version entry recorded at
            // or before it, one probe of audit_log_trade_recorded.
            return VERSION_ENTRIES_SELECT
                "WHERE trade_id = $1::text AND recorded_at <= "
                "TIMESTAMPTZ 'epoch' + $2::bigint * INTERVAL '1 microsecond' "
                "ORDER BY recorded_at DESC LIMIT 1";
        case Query::TradesAt:
            // $1 an instant (micros), $2 limit, $3 skip. Every trade ever stored is in trades
            // or trade_tombstones (never both): walked in trade id order (a merge of the two
            // primary keys), each one's version then found by HistoryAt's probe, deleted or
            // not yet created ones left out. A page costs skip + limit probes.
            return "SELECT v.* FROM (SELECT trade_id FROM trades UNION ALL "
                   "SELECT trade_id FROM trade_tombstones) c "
                   "CROSS JOIN LATERAL (" VERSION_ENTRIES_SELECT
                   "WHERE trade_id = c.trade_id AND recorded_at <= "
                   "TIMESTAMPTZ 'epoch' + $1::bigint * INTERVAL '1 microsecond' "
                   "ORDER BY recorded_at DESC LIMIT 1) v "
                   "WHERE v.action <> 'DELETE' ORDER BY c.trade_id "
                   "LIMIT $2::bigint OFFSET $3::bigint";
        case Query::BookAt:
            // $1 book id, $2 an instant (micros). The trades that were ever in the book are
            // those in it now or before (former_books: one scan of trades, no index to keep
            // up on every move) and deleted ones that were (book_departures); each one's
            // version then, kept when it was in the book and not deleted. The ids are sorted
            // before the probes, which keep their order: sorting the wide rows after them
            // spilled to disk (100,000 trades: 690 -> 450 ms).
            return "SELECT v.* FROM (SELECT trade_id FROM trades "
                   "WHERE book_id = $1::text OR $1::text = ANY(former_books) "
                   "UNION SELECT trade_id FROM book_departures WHERE book_id = $1::text "
                   "ORDER BY 1) c "
                   "CROSS JOIN LATERAL (" VERSION_ENTRIES_SELECT
                   "WHERE trade_id = c.trade_id AND recorded_at <= "
                   "TIMESTAMPTZ 'epoch' + $2::bigint * INTERVAL '1 microsecond' "
                   "ORDER BY recorded_at DESC LIMIT 1) v "
                   "WHERE v.book_id = $1::text AND v.action <> 'DELETE' ORDER BY c.trade_id";
        case Query::SelectPosition:
            // A row with a negative offset was created to be locked: nothing applied yet.
            return "SELECT \"offset\" FROM source_positions "
                   "WHERE source = $1::text AND stream = $2::text AND \"partition\" = $3::int "
                   "AND \"offset\" >= 0";
        case Query::Ping:
            return "SELECT 1";
        case Query::TransactionStatus:
            // $1: an id from TransactionId. 'committed', 'aborted' or 'in progress' as
            // pg_xact_status() says; 'unassigned' for an id this server has not handed out
            // (a server that crashed before the transaction wrote anything starts below it:
            // it never committed), where pg_xact_status() would raise an error; 'forgotten'
            // when its status is no longer kept (NULL; impossible within seconds).
            // Then the server's start time, as TransactionId reads it.
            return "SELECT CASE WHEN $1::xid8 >= pg_snapshot_xmax(pg_current_snapshot()) "
                   "THEN 'unassigned' ELSE coalesce(pg_xact_status($1::xid8), 'forgotten') END, "
                   "(EXTRACT(EPOCH FROM pg_postmaster_start_time()) * 1000000)::bigint";
        case Query::AuditEvidence:
            // $1 trade id, $2 source, $3 reference, $4 timestamp (micros) of an audit row the
            // transaction wrote: whether it is there (an index lookup on trade_id). Not by
            // xmin: the outbox marks rows shipped, which gives them another.
            return "SELECT count(*) FROM audit_log WHERE trade_id = $1::text "
                   "AND source = $2::text AND reference = $3::text AND \"timestamp\" = "
                   "TIMESTAMPTZ 'epoch' + $4::bigint * INTERVAL '1 microsecond'";
        case Query::WalPosition:
            // On the primary, right after a COMMIT on the same connection: a WAL position at or
            // after that commit's record (a replica that has replayed it sees the commit).
            return "SELECT pg_current_wal_lsn()::text";
        case Query::ReplicaStatus:
            // On a replica: whether it is one still, and how far it has replayed.
            return "SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '')";
        case Query::ReplayedAtLeast:
            // $1 a commit position (LSN text): whether this replica has replayed it.
            return "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false)";
    }
    return "SELECT 1";
}

const char* label(Query query) {
    static constexpr const char* kLabels[] = {
        "Begin",
        "Commit",
        "TransactionId",
        "KeyLookupsOnly",
        "EnsurePositions",
        "LockPositions",
        "LockKeys",
        "Clock",
        "ReadState",
        "InsertTrades",
        "UpsertTrades",
        "DeleteTombstones",
        "DeleteTrades",
        "InsertAudit",
        "InsertAuditQueueChanges",
        "UpsertPositions",
        "Expire",
        "ExpireQueueChanges",
        "ClaimJobRun",
        "UnshippedAudit",
        "MarkAuditShipped",
        "PruneShippedAudit",
        "UnshippedAuditCount",
        "AppendEvents",
        "UnshippedEvents",
        "MarkEventsShipped",
        "PruneShippedEvents",
        "PruneHistory",
        "UnpublishedChanges",
        "MarkChangesPublished",
        "UnpublishedChangeCount",
        "ClaimIdempotencyKeys",
        "AnswerIdempotencyKeys",
        "SelectIdempotencyKey",
        "PruneIdempotencyKeys",
        "SelectTrade",
        "ListTrades",
        "ListTradesByBook",
        "Statistics",
        "AuditAll",
        "AuditByTrade",
        "AuditCountAll",
        "AuditCountByTrade",
        "HistoryByTrade",
        "HistoryAt",
        "TradesAt",
        "BookAt",
        "SelectPosition",
        "Ping",
        "TransactionStatus",
        "AuditEvidence",
        "WalPosition",
        "ReplicaStatus",
        "ReplayedAtLeast",
    };
    static_assert(std::size(kLabels) == kQueryCount);
    return kLabels[static_cast<std::size_t>(query)];
}

const char* statement_name(Query query) {
    static const std::array<std::string, kQueryCount> names = [] {
        std::array<std::string, kQueryCount> result;
        for (std::size_t i = 0; i < kQueryCount; ++i) result[i] = "ts_" + std::to_string(i);
        return result;
    }();
    return names[static_cast<std::size_t>(query)].c_str();
}

}  // namespace tradestore::plugins::pg
