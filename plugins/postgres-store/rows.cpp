#include "rows.h"

#include <stdexcept>
#include <string>

#include "queries.h"

namespace tradestore::plugins::pg {

Trade read_trade(const Result& result, int row) {
    namespace c = trade_column;
    Trade trade;
    trade.trade_id = result.text(row, c::kTradeId);
    trade.version = result.integer(row, c::kVersion);
    trade.counter_party_id = result.text(row, c::kCounterPartyId);
    trade.book_id = result.text(row, c::kBookId);
    trade.maturity_date = from_days(result.integer(row, c::kMaturityDays));
    trade.created_date = from_days(result.integer(row, c::kCreatedDays));
    trade.expired = result.text(row, c::kExpired) == "t";
    trade.last_updated = from_micros(result.integer(row, c::kLastUpdatedMicros));
    return trade;
}

AuditAction parse_action(std::string_view text) {
    if (const std::optional<AuditAction> action = parse_audit_action(text)) return *action;
    throw std::runtime_error("postgres-store: unknown audit action '" + std::string(text) + "'");
}

AuditEntry read_audit(const Result& result, int row) {
    namespace c = audit_column;
    AuditEntry entry;
    entry.id = result.integer(row, c::kId);
    entry.trade_id = result.text(row, c::kTradeId);
    entry.action = parse_action(result.text(row, c::kAction));
    entry.success = result.text(row, c::kStatus) == "success";
    std::string_view codes = result.text(row, c::kReasonCodes);
    while (!codes.empty()) {
        const std::size_t comma = codes.find(',');
        entry.reason_codes.emplace_back(codes.substr(0, comma));
        codes = comma == std::string_view::npos ? std::string_view{} : codes.substr(comma + 1);
    }
    entry.message = result.text(row, c::kMessage);
    if (!result.is_null(row, c::kReceivedVersion)) {
        entry.received_version = result.integer(row, c::kReceivedVersion);
    }
    if (!result.is_null(row, c::kStoredVersion)) {
        entry.stored_version = result.integer(row, c::kStoredVersion);
    }
    entry.source = result.text(row, c::kSource);
    entry.reference = result.text(row, c::kReference);
    entry.timestamp = from_micros(result.integer(row, c::kTimestampMicros));
    return entry;
}

HistoryRecord read_history(const Result& result, int row) {
    namespace c = history_column;
    HistoryRecord record;
    record.trade = read_trade(result, row);
    record.action = parse_action(result.text(row, c::kAction));
    if (!result.is_null(row, c::kPreviousVersion)) {
        record.previous_version = result.integer(row, c::kPreviousVersion);
    }
    record.source = result.text(row, c::kSource);
    record.reference = result.text(row, c::kReference);
    record.recorded_at = record.trade.last_updated;
    record.business_date = from_days(result.integer(row, c::kBusinessDays));
    return record;
}

}  // namespace tradestore::plugins::pg
