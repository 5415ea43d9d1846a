// Writes of the SQLite store: apply, remove and expire, each one transaction on the single
// writer connection. On any failure the transaction rolls back and nothing is written.
#include <sqlite3.h>
#include <tradestore/batch_decision.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dates.h"
#include "rows.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

namespace {

std::optional<Trade> load_trade(sqlite::Connection& db, const std::string& trade_id) {
    auto select = db.use(Query::SelectTrade);
    select->bind_text(1, trade_id);
    if (!select->step()) return std::nullopt;
    return sqlite::read_trade(*select);
}

// The id's tombstone, if any, into the state: its version and when it was recorded.
void load_tombstone(sqlite::Connection& db, const std::string& trade_id, StoredState& state) {
    auto select = db.use(Query::SelectTombstone);
    select->bind_text(1, trade_id);
    if (!select->step()) return;
    state.tombstone = select->column_int(0);
    state.deleted_at = sqlite::from_micros(select->column_int(1));
}

// `before`: the live row before the batch, if any (read under the write lock, so the row is
// still there, and as it was). A write that changes no row is a bug that must not commit.
void write_trade(sqlite::Connection& db, const Trade& trade, const std::optional<Trade>& before) {
    const std::string maturity = format_date(trade.maturity_date);  // short: no allocation
    const std::string created = format_date(trade.created_date);
    const Query query = !before ? Query::InsertTrade
                        : before->maturity_date == trade.maturity_date && !before->expired
                            ? Query::UpdateTradeKeepingMaturity
                            : Query::UpdateTrade;
    auto write = db.use(query);
    write->bind_text(1, trade.trade_id);
    write->bind_int(2, trade.version);
    write->bind_text(3, trade.counter_party_id);
    write->bind_text(4, trade.book_id);
    write->bind_text(5, maturity);
    write->bind_text(6, created);
    write->bind_int(7, sqlite::to_micros(trade.last_updated));
    write->run();
    if (sqlite3_changes64(db.handle()) != 1) {
        throw std::logic_error("sqlite-store: the row of trade " + trade.trade_id +
                               " changed under the write lock");
    }
}

void delete_tombstone(sqlite::Connection& db, const std::string& trade_id) {
    auto erase = db.use(Query::DeleteTombstone);
    erase->bind_text(1, trade_id);
    erase->run();
}

struct AuditValues {
    std::string_view trade_id;
    AuditAction action;
    bool success;
    std::string_view reason_codes;
    std::string_view message;
    std::optional<std::int64_t> received_version;
    std::optional<std::int64_t> stored_version;
    std::string_view source;
    std::string_view reference;
    Timestamp timestamp;
    // A version entry's: the trade as stored (its last_updated is recorded_at), its dates as
    // text, and the decision's business date. nullptr: not a version entry (columns NULL).
    const Trade* version = nullptr;
    std::string_view maturity_date;
    std::string_view created_date;
    std::string_view business_date;
};

// Binds one audit row to parameters first .. first + kAuditColumns - 1. The statement was
// reset, which clears its bindings: a version's parameters are left NULL when there is none.
void bind_audit(sqlite::Statement& insert, int first, const AuditValues& row) {
    insert.bind_text(first, row.trade_id);
    insert.bind_text(first + 1, to_string(row.action));
    insert.bind_text(first + 2, row.success ? "success" : "failed");
    insert.bind_text(first + 3, row.reason_codes);
    insert.bind_text(first + 4, row.message);
    insert.bind_optional(first + 5, row.received_version);
    insert.bind_optional(first + 6, row.stored_version);
    insert.bind_text(first + 7, row.source);
    insert.bind_text(first + 8, row.reference);
    insert.bind_int(first + 9, sqlite::to_micros(row.timestamp));
    if (row.version == nullptr) return;
    insert.bind_int(first + 10, sqlite::to_micros(row.version->last_updated));
    insert.bind_text(first + 11, row.version->counter_party_id);
    insert.bind_text(first + 12, row.version->book_id);
    insert.bind_text(first + 13, row.maturity_date);
    insert.bind_text(first + 14, row.created_date);
    insert.bind_int(first + 15, row.version->expired ? 1 : 0);
    insert.bind_text(first + 16, row.business_date);
}

void write_audit(sqlite::Connection& db, const AuditValues& row) {
    auto insert = db.use(Query::InsertAudit);
    bind_audit(*insert, 1, row);
    insert->run();
}

// `dates`: where a version's dates are formatted, bound without copying, so kept until the
// statement has run (short strings: no allocation).
AuditValues audit_values(const AuditRow& row, Timestamp now, std::string_view business_date,
                         std::span<std::string, 2> dates) {
    if (row.version != nullptr) {
        dates[0] = format_date(row.version->maturity_date);
        dates[1] = format_date(row.version->created_date);
    }
    return {.trade_id = row.trade_id,
            .action = row.action,
            .success = row.success,
            .reason_codes = row.reason_codes,
            .message = row.message,
            .received_version = row.received_version,
            .stored_version = row.stored_version,
            .source = row.source,
            .reference = row.reference,
            .timestamp = now,
            .version = row.version,
            .maturity_date = dates[0],
            .created_date = dates[1],
            .business_date = business_date};
}

// The plan's audit rows in order (ids ascend in plan order, as with one row per statement):
// whole chunks of kAuditChunkRows in one statement each, the rest one by one. An accepted
// decision's row is its version entry.
void write_audit_rows(sqlite::Connection& db, std::span<const AuditRow> rows, Timestamp now,
                      std::string_view business_date) {
    constexpr auto kChunk = static_cast<std::size_t>(sqlite::kAuditChunkRows);
    std::array<std::string, 2 * kChunk> dates;
    const auto slot = [&dates](std::size_t i) {
        return std::span<std::string, 2>(&dates[2 * i], 2);
    };
    std::size_t next = 0;
    for (; rows.size() - next >= kChunk; next += kChunk) {
        auto insert = db.use(Query::InsertAuditChunk);
        for (std::size_t i = 0; i < kChunk; ++i) {
            bind_audit(*insert, static_cast<int>(i) * sqlite::kAuditColumns + 1,
                       audit_values(rows[next + i], now, business_date, slot(i)));
        }
        insert->run();
    }
    for (; next < rows.size(); ++next) {
        write_audit(db, audit_values(rows[next], now, business_date, slot(0)));
    }
}

void record_departure(sqlite::Connection& db, std::string_view book_id, std::string_view trade_id) {
    auto insert = db.use(Query::InsertDeparture);
    insert->bind_text(1, book_id);
    insert->bind_text(2, trade_id);
    insert->run();
}

// The (book, trade) pairs the plan's accepted versions leave (book_departures, schema.cpp's
// version 6): a version in another book than the id's row before it, which is the stored row
// for the id's first accepted version in the batch, then the version before it. An id with no
// row before the batch (new, or a tombstone, whose book its delete recorded) leaves nothing
// until its second version.
void record_departures(sqlite::Connection& db, const BatchPlan& plan) {
    // Per write (id order, as plan.writes): the id's book so far, nullptr while it has no row.
    std::vector<const std::string*> books(plan.writes.size(), nullptr);
    for (std::size_t i = 0; i < plan.writes.size(); ++i) {
        if (plan.writes[i].before) books[i] = &plan.writes[i].before->book_id;
    }
    const auto id_of = [&plan](const TradeWrite& write) -> const std::string& {
        return plan.results[write.candidate].stored->trade_id;
    };
    for (const AuditRow& row : plan.audit) {   // decision order
        if (row.version == nullptr) continue;  // not a version: the row stays as it was
        const auto write = std::lower_bound(
            plan.writes.begin(), plan.writes.end(), row.trade_id,
            [&id_of](const TradeWrite& w, std::string_view id) { return id_of(w) < id; });
        if (write == plan.writes.end() || id_of(*write) != row.trade_id) {
            throw std::logic_error("sqlite-store: no write for the version of trade " +
                                   std::string(row.trade_id));
        }
        const std::string*& book = books[static_cast<std::size_t>(write - plan.writes.begin())];
        if (book != nullptr && *book != row.version->book_id) {
            record_departure(db, *book, row.trade_id);
        }
        book = &row.version->book_id;
    }
}

void record_position(sqlite::Connection& db, const SourcePosition& position) {
    auto upsert = db.use(Query::UpsertPosition);
    upsert->bind_text(1, position.source);
    upsert->bind_text(2, position.stream);
    upsert->bind_int(3, position.partition);
    upsert->bind_int(4, position.offset);
    upsert->run();
}

std::optional<std::int64_t> load_position(sqlite::Connection& db, const PartitionKey& key) {
    auto select = db.use(Query::SelectPosition);
    select->bind_text(1, key.source);
    select->bind_text(2, key.stream);
    select->bind_int(3, key.partition);
    if (!select->step()) return std::nullopt;
    return select->column_int(0);
}

}  // namespace

std::vector<ItemResult> SqliteStore::apply(const Batch& batch, std::span<const Rule* const> rules,
                                           Date business_date) {
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    // BEGIN IMMEDIATE takes the database's write lock: the positions read below cannot move
    // until this transaction ends, in this process or any other.
    sqlite::Transaction transaction(db);
    const Timestamp now = sqlite::now_utc();

    RecordedPositions recorded;
    for (const PartitionKey& key : partitions_of(batch)) {
        if (auto offset = load_position(db, key)) recorded.emplace(key, *offset);
    }
    BatchPlan plan = decide_batch(batch, rules, business_date, now, recorded,
                                  [&db](const std::string& trade_id) {
                                      StoredState state;
                                      state.row = load_trade(db, trade_id);
                                      if (!state.row) load_tombstone(db, trade_id, state);
                                      return state;
                                  });

    for (const SourcePosition& position : plan.positions) record_position(db, position);
    for (const TradeWrite& write : plan.writes) {
        const Trade& trade = *plan.results[write.candidate].stored;
        write_trade(db, trade, write.before);
        if (write.restores) delete_tombstone(db, trade.trade_id);
    }
    record_departures(db, plan);
    write_audit_rows(db, plan.audit, now, format_date(business_date));
    claim_idempotency_keys(db, batch, plan.results, now);
    transaction.commit();
    return std::move(plan.results);
}

bool SqliteStore::remove(const std::string& trade_id, const std::string& source,
                         const std::string& reference) {
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    const Timestamp now = sqlite::now_utc();

    std::optional<Trade> row;  // as it stood
    {
        auto erase = db.use(Query::DeleteTrade);
        erase->bind_text(1, trade_id);
        if (erase->step()) row = sqlite::read_trade(*erase);
        if (row) erase->run();
    }
    if (!row) return false;  // rolls back the empty transaction; no audit
    const std::optional<std::int64_t> version = row->version;
    // Deleted trades leave `trades`: the departure keeps this one a candidate of its book.
    record_departure(db, row->book_id, trade_id);

    // The DELETE entry is the version entry of the trade as it stood, recorded strictly after
    // the version it deletes; the tombstone keeps that time, so a re-create is recorded after.
    row->last_updated = next_recorded_at(now, row->last_updated);
    {
        auto tombstone = db.use(Query::UpsertTombstone);
        tombstone->bind_text(1, trade_id);
        tombstone->bind_int(2, *version);
        tombstone->bind_int(3, sqlite::to_micros(row->last_updated));
        tombstone->run();
    }
    // remove() is given no business date: the UTC date of recorded_at stands in, until deletes
    // move into the ingest path (which has one).
    const std::string business_date =
        format_date(std::chrono::floor<std::chrono::days>(row->last_updated));
    const std::string maturity = format_date(row->maturity_date);
    const std::string created = format_date(row->created_date);
    const std::string message =
        "Trade " + trade_id + ": version " + std::to_string(*version) + " deleted";
    write_audit(db, {.trade_id = trade_id,
                     .action = AuditAction::Delete,
                     .success = true,
                     .reason_codes = {},
                     .message = message,
                     .received_version = std::nullopt,
                     .stored_version = version,
                     .source = source,
                     .reference = reference,
                     .timestamp = now,
                     .version = &*row,
                     .maturity_date = maturity,
                     .created_date = created,
                     .business_date = business_date});
    transaction.commit();
    return true;
}

std::int64_t SqliteStore::expire(Date business_date, const std::string& source) {
    const std::string date = format_date(business_date);
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    const std::int64_t now = sqlite::to_micros(sqlite::now_utc());

    // The audit first, with the same predicate, so each marked trade gets one EXPIRE entry:
    // its version entry, recorded at the last_updated MarkExpired then gives it.
    {
        auto audit = db.use(Query::InsertExpireAudit);
        audit->bind_text(1, date);
        audit->bind_text(2, source);
        audit->bind_int(3, now);
        audit->run();
    }
    std::int64_t marked = 0;
    {
        auto mark = db.use(Query::MarkExpired);
        mark->bind_text(1, date);
        mark->bind_int(2, now);
        mark->run();
        marked = sqlite3_changes64(db.handle());
    }
    transaction.commit();
    return marked;
}

}  // namespace tradestore::plugins
