// Every SQL statement the store runs on its hot paths, prepared once per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tradestore::plugins::sqlite {

// Rows per InsertAuditChunk: one statement per chunk of audit rows rather than per row
// (each statement execution has a fixed cost: its start, AUTOINCREMENT's read and write of
// sqlite_sequence, its halt). kAuditColumns parameters per row (544 per chunk), well under
// SQLite's limit.
inline constexpr int kAuditChunkRows = 32;
// Parameters per row of InsertAudit and InsertAuditChunk: the entry's ten, then its version's
// seven (NULL, i.e. left unbound, unless it is a version entry).
inline constexpr int kAuditColumns = 17;

enum class Query : std::uint8_t {
    Begin,
    Commit,
    Rollback,
    // apply
    SelectTrade,
    SelectTombstone,
    InsertTrade,
    UpdateTrade,
    UpdateTradeMoved,  // also sets former_books: the trade left a book
    UpdateTradeKeepingMaturity,
    UpdateTradeKeepingMaturityMoved,
    DeleteTombstone,
    InsertAudit,
    InsertAuditChunk,  // kAuditChunkRows rows in one statement
    UpsertPosition,
    // remove
    DeleteTrade,
    InsertDepartures,
    UpsertTombstone,
    // expire
    InsertExpireAudit,
    MarkExpired,
    // reads
    ListTrades,
    ListTradesByBook,
    Statistics,
    AuditAll,
    AuditByTrade,
    AuditCountAll,
    AuditCountByTrade,
    HistoryByTrade,
    HistoryAt,
    TradesAt,
    BookAt,
    SelectPosition,
    Ping,
    // audit outbox
    UnshippedAudit,
    MarkAuditShipped,
    PruneShippedAudit,
    UnshippedAuditCount,
    // event outbox
    AppendEvent,
    UnshippedEvents,
    MarkEventShipped,
    PruneShippedEvents,
    // history retention
    PruneHistory,
    // change outbox
    LastAuditId,
    QueueChanges,
    UnpublishedChanges,
    MarkChangePublished,
    UnpublishedChangeCount,
    // idempotency keys
    ClaimIdempotencyKey,
    SelectIdempotencyKey,
    PruneIdempotencyKeys,
};

inline constexpr std::size_t kQueryCount =
    static_cast<std::size_t>(Query::PruneIdempotencyKeys) + 1;

std::string_view sql(Query query);

// Column positions of a trade row as every trade query selects it.
namespace trade_column {
inline constexpr int kTradeId = 0;
inline constexpr int kVersion = 1;
inline constexpr int kCounterPartyId = 2;
inline constexpr int kBookId = 3;
inline constexpr int kMaturityDate = 4;
inline constexpr int kCreatedDate = 5;
inline constexpr int kExpired = 6;
inline constexpr int kLastUpdated = 7;
inline constexpr int kFormerBooks = 8;  // SelectTrade and DeleteTrade only: NULL or JSON text
}  // namespace trade_column

// Column positions of an audit row as the audit queries select it.
namespace audit_column {
inline constexpr int kId = 0;
inline constexpr int kTradeId = 1;
inline constexpr int kAction = 2;
inline constexpr int kStatus = 3;
inline constexpr int kReasonCodes = 4;
inline constexpr int kMessage = 5;
inline constexpr int kReceivedVersion = 6;
inline constexpr int kStoredVersion = 7;
inline constexpr int kSource = 8;
inline constexpr int kReference = 9;
inline constexpr int kTimestamp = 10;
}  // namespace audit_column

// Column positions of a version entry as HistoryByTrade (and HistoryAt, TradesAt, BookAt)
// selects it: the trade's first, as trade_column (recorded_at in kLastUpdated's place), then
// the record's own.
namespace history_column {
inline constexpr int kAction = 8;
inline constexpr int kPreviousVersion = 9;
inline constexpr int kSource = 10;
inline constexpr int kReference = 11;
inline constexpr int kBusinessDate = 12;
inline constexpr int kId = 13;  // UnpublishedChanges only
}  // namespace history_column

// Column positions of an event row as UnshippedEvents selects it.
namespace event_column {
inline constexpr int kId = 0;
inline constexpr int kEventType = 1;
inline constexpr int kSeverity = 2;
inline constexpr int kData = 3;
inline constexpr int kTimestamp = 4;
}  // namespace event_column

}  // namespace tradestore::plugins::sqlite
