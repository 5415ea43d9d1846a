// Every SQL statement the store runs on its hot paths. Each is prepared once per connection,
// on first use, in the same round trip as its first execution (see Connection::pipeline).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tradestore::plugins::pg {

enum class Query : std::uint8_t {
    // apply
    Begin,
    Commit,
    TransactionId,
    KeyLookupsOnly,
    EnsurePositions,
    LockPositions,
    LockKeys,
    Clock,
    ReadState,
    InsertTrades,
    UpsertTrades,
    DeleteTombstones,
    DeleteTrades,
    InsertAudit,
    InsertAuditQueueChanges,  // InsertAudit, and the version entries into change_outbox
    UpsertPositions,
    // expire
    Expire,
    ExpireQueueChanges,
    // jobs
    ClaimJobRun,
    // the audit outbox
    UnshippedAudit,
    MarkAuditShipped,
    PruneShippedAudit,
    UnshippedAuditCount,
    // the event outbox
    AppendEvents,
    UnshippedEvents,
    MarkEventsShipped,
    PruneShippedEvents,
    // history retention
    PruneHistory,
    // the change outbox
    UnpublishedChanges,
    MarkChangesPublished,
    UnpublishedChangeCount,
    // idempotency keys
    ClaimIdempotencyKeys,
    AnswerIdempotencyKeys,
    SelectIdempotencyKey,
    PruneIdempotencyKeys,
    // reads
    SelectTrade,
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
    // after a connection lost during COMMIT
    TransactionStatus,
    AuditEvidence,
    // read replicas
    WalPosition,
    ReplicaStatus,
    ReplayedAtLeast,
};

inline constexpr std::size_t kQueryCount = static_cast<std::size_t>(Query::ReplayedAtLeast) + 1;

const char* sql(Query query);
// The prepared statement's name on the server, e.g. "ts_3".
const char* statement_name(Query query);
// A short name for error messages, e.g. "UpsertTrades".
const char* label(Query query);

// Column positions of a trade row as every trade query selects it.
namespace trade_column {
inline constexpr int kTradeId = 0;
inline constexpr int kVersion = 1;
inline constexpr int kCounterPartyId = 2;
inline constexpr int kBookId = 3;
inline constexpr int kMaturityDays = 4;  // days since 1970-01-01
inline constexpr int kCreatedDays = 5;
inline constexpr int kExpired = 6;
inline constexpr int kLastUpdatedMicros = 7;  // microseconds since 1970-01-01T00:00:00Z
inline constexpr int kCount = 8;
}  // namespace trade_column

// ReadState: the trade columns, then the tombstone's version (NULL for a live row). A
// tombstone's row has its deleted_at in kLastUpdatedMicros and NULL in the other columns.
inline constexpr int kTombstoneColumn = trade_column::kCount;

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
inline constexpr int kTimestampMicros = 10;
}  // namespace audit_column

// HistoryByTrade and HistoryAt: the trade columns (kLastUpdatedMicros is recorded_at), then these
// (kPreviousVersion is the audit entry's stored_version).
namespace history_column {
inline constexpr int kAction = trade_column::kCount;
inline constexpr int kPreviousVersion = kAction + 1;
inline constexpr int kSource = kAction + 2;
inline constexpr int kReference = kAction + 3;
inline constexpr int kBusinessDays = kAction + 4;
inline constexpr int kId = kAction + 5;  // UnpublishedChanges only
}  // namespace history_column

// Column positions of an event row as UnshippedEvents selects it.
namespace event_column {
inline constexpr int kId = 0;
inline constexpr int kEventType = 1;
inline constexpr int kSeverity = 2;
inline constexpr int kData = 3;
inline constexpr int kTimestampMicros = 4;
}  // namespace event_column

}  // namespace tradestore::plugins::pg
