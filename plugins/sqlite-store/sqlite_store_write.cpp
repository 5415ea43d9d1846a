// Writes of the SQLite store: apply, remove and expire, each one transaction on the single
// writer connection. On any failure the transaction rolls back and nothing is written.
#include <sqlite3.h>
#include <tradestore/batch_decision.h>

#include <array>
#include <chrono>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dates.h"
#include "rows.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

namespace {

// An id's former_books (schema.cpp's version 6): as stored, then with the books it left in
// the batch added.
struct FormerBooks {
    std::string books;  // a JSON array, or empty for NULL
    bool left = false;  // the batch left a book: the row's column is set to `books`
};
// Per trade id of the batch (views of it) that has former_books or leaves a book.
using FormerBooksById = std::unordered_map<std::string_view, FormerBooks>;

// The live row of `trade_id`, if any; its former_books, when it has some, into `former`
// (`trade_id` must outlive it).
std::optional<Trade> load_trade(sqlite::Connection& db, const std::string& trade_id,
                                FormerBooksById& former) {
    auto select = db.use(Query::SelectTrade);
    select->bind_text(1, trade_id);
    if (!select->step()) return std::nullopt;
    if (!select->column_is_null(sqlite::trade_column::kFormerBooks)) {
        former[trade_id].books = select->column_text(sqlite::trade_column::kFormerBooks);
    }
    return sqlite::read_trade(*select);
}

// Appends `text` as a JSON string, escaped as SQLite's json_quote() and json_array() escape
// it, so that former_books is the one text json_array() would make of its books.
void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20) {
            // \b \t \n \f \r as such (0x08 .. 0x0d but 0x0b), the others as \u00XX.
            static constexpr char kShort[] = "btn\0fr";
            out += '\\';
            if (byte >= 0x08 && byte <= 0x0d && byte != 0x0b) {
                out += kShort[byte - 0x08];
            } else {
                out += "u00";
                out += kHex[byte >> 4];
                out += kHex[byte & 0xf];
            }
        } else {
            out += c;
        }
    }
    out += '"';
}

// Whether the JSON array `books`, compact as json_array() writes it, has the element whose
// JSON text is `quoted`. Inside an element every quote is escaped (preceded by a backslash),
// so an occurrence right after '[' or ',' starts an element, and then is all of it.
bool has_book(std::string_view books, std::string_view quoted) {
    for (auto at = books.find(quoted); at != std::string_view::npos;
         at = books.find(quoted, at + 1)) {
        if (at > 0 && (books[at - 1] == '[' || books[at - 1] == ',')) return true;
    }
    return false;
}

// Adds to `former` the books the plan's ids left, each once, in decision order, and marks
// those ids (usually none).
void add_departures(const BatchPlan& plan, FormerBooksById& former) {
    std::string quoted;
    for (const BookDeparture& departure : plan.departures) {
        FormerBooks& id = former[departure.trade_id];
        id.left = true;
        quoted.clear();
        append_json_string(quoted, departure.book_id);
        if (id.books.empty()) {
            id.books += '[';
            id.books += quoted;
            id.books += ']';
        } else if (!has_book(id.books, quoted)) {
            id.books.back() = ',';  // was ']'
            id.books += quoted;
            id.books += ']';
        }
    }
}

// The id's tombstone, if any, into the state: its version and when it was recorded.
void load_tombstone(sqlite::Connection& db, const std::string& trade_id, StoredState& state) {
    auto select = db.use(Query::SelectTombstone);
    select->bind_text(1, trade_id);
    if (!select->step()) return;
    state.tombstone = select->column_int(0);
    state.deleted_at = from_micros(select->column_int(1));
}

// `before`: the live row before the batch, if any (read under the write lock, so the row is
// still there, and as it was). `former_books`: the column's new value when the trade left a
// book in the batch, else nullptr (the column stays as it is). A write that changes no row is
// a bug that must not commit.
void write_trade(sqlite::Connection& db, const Trade& trade, const std::optional<Trade>& before,
                 const std::string* former_books) {
    const std::string maturity = format_date(trade.maturity_date);  // short: no allocation
    const std::string created = format_date(trade.created_date);
    const bool moved = former_books != nullptr;
    const Query query =
        !before ? Query::InsertTrade
        : before->maturity_date == trade.maturity_date && !before->expired
            ? (moved ? Query::UpdateTradeKeepingMaturityMoved : Query::UpdateTradeKeepingMaturity)
        : moved ? Query::UpdateTradeMoved
                : Query::UpdateTrade;
    auto write = db.use(query);
    write->bind_text(1, trade.trade_id);
    write->bind_int(2, trade.version);
    write->bind_text(3, trade.counter_party_id);
    write->bind_text(4, trade.book_id);
    write->bind_text(5, maturity);
    write->bind_text(6, created);
    write->bind_int(7, to_micros(trade.last_updated));
    if (moved) write->bind_text(8, *former_books);
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

// An id that ends the batch deleted (TradeWrite::deletes): `trade` is the version deleted,
// its last_updated the tombstone's time; `books` (a JSON array) every book it left, the
// delete's own included. Its row goes, the tombstone is written, and each of its books keeps
// it a candidate in book_departures (nothing else will say it was there).
void delete_trade(sqlite::Connection& db, const Trade& trade, bool existed,
                  const std::string* books) {
    if (existed) {
        auto erase = db.use(Query::DeleteTrade);
        erase->bind_text(1, trade.trade_id);
        erase->run();
    }
    {
        auto departures = db.use(Query::InsertDepartures);
        departures->bind_text(1, trade.trade_id);
        departures->bind_text(2, trade.book_id);
        if (books != nullptr) departures->bind_text(3, *books);
        departures->run();
    }
    auto tombstone = db.use(Query::UpsertTombstone);
    tombstone->bind_text(1, trade.trade_id);
    tombstone->bind_int(2, trade.version);
    tombstone->bind_int(3, to_micros(trade.last_updated));
    tombstone->run();
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
    insert.bind_int(first + 9, to_micros(row.timestamp));
    if (row.version == nullptr) return;
    insert.bind_int(first + 10, to_micros(row.version->last_updated));
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

std::int64_t last_audit_id(sqlite::Connection& db) {
    auto select = db.use(Query::LastAuditId);
    return select->step() ? select->column_int(0) : 0;
}

// The version entries written since `audit_before` (last_audit_id), into the change outbox.
void queue_changes(sqlite::Connection& db, std::int64_t audit_before) {
    auto queue = db.use(Query::QueueChanges);
    queue->bind_int(1, audit_before);
    queue->run();
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
    const Timestamp now = now_utc();

    RecordedPositions recorded;
    for (const PartitionKey& key : partitions_of(batch)) {
        if (auto offset = load_position(db, key)) recorded.emplace(key, *offset);
    }
    FormerBooksById former_books;
    BatchPlan plan = decide_batch(batch, rules, business_date, now, recorded,
                                  [&db, &former_books](const std::string& trade_id) {
                                      StoredState state;
                                      state.row = load_trade(db, trade_id, former_books);
                                      if (!state.row) load_tombstone(db, trade_id, state);
                                      return state;
                                  });

    for (const SourcePosition& position : plan.positions) record_position(db, position);
    add_departures(plan, former_books);
    for (const TradeWrite& write : plan.writes) {
        const Trade& trade = *plan.results[write.candidate].stored;
        const auto id =
            plan.departures.empty() ? former_books.end() : former_books.find(trade.trade_id);
        const std::string* books =
            id != former_books.end() && id->second.left ? &id->second.books : nullptr;
        if (write.deletes) {  // a delete always leaves its book: `books` lists them all
            delete_trade(db, trade, write.existed, books);
            continue;
        }
        write_trade(db, trade, write.before, books);
        if (write.restores) delete_tombstone(db, trade.trade_id);
    }
    const std::int64_t audit_before = options_.change_feed ? last_audit_id(db) : 0;
    write_audit_rows(db, plan.audit, now, format_date(business_date));
    if (options_.change_feed) queue_changes(db, audit_before);
    claim_idempotency_keys(db, batch, plan.results, now);
    transaction.commit();
    return std::move(plan.results);
}

bool SqliteStore::remove(const std::string& trade_id, const std::string& source,
                         const std::string& reference) {
    // A delete candidate through apply(), with no rules and, outside the ingest path, no
    // business date: the UTC calendar date of the delete stands in.
    Batch batch;
    batch.candidates.push_back(delete_candidate(trade_id, source, reference));
    const Date today = std::chrono::floor<std::chrono::days>(now_utc());
    return apply(batch, {}, today).front().outcome == Outcome::Deleted;
}

std::int64_t SqliteStore::expire(Date business_date, const std::string& source) {
    const std::string date = format_date(business_date);
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    const std::int64_t now = to_micros(now_utc());

    // The audit first, with the same predicate, so each marked trade gets one EXPIRE entry:
    // its version entry, recorded at the last_updated MarkExpired then gives it.
    const std::int64_t audit_before = options_.change_feed ? last_audit_id(db) : 0;
    {
        auto audit = db.use(Query::InsertExpireAudit);
        audit->bind_text(1, date);
        audit->bind_text(2, source);
        audit->bind_int(3, now);
        audit->run();
    }
    if (options_.change_feed) queue_changes(db, audit_before);
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
