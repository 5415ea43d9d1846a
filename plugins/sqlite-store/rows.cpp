#include "rows.h"

#include <stdexcept>
#include <string>

#include "dates.h"
#include "queries.h"

namespace tradestore::plugins::sqlite {

Trade read_trade(const Statement& statement) {
    namespace c = trade_column;
    Trade trade;
    trade.trade_id = statement.column_text(c::kTradeId);
    trade.version = statement.column_int(c::kVersion);
    trade.counter_party_id = statement.column_text(c::kCounterPartyId);
    trade.book_id = statement.column_text(c::kBookId);
    trade.maturity_date = stored_date(statement.column_text(c::kMaturityDate));
    trade.created_date = stored_date(statement.column_text(c::kCreatedDate));
    trade.expired = statement.column_int(c::kExpired) != 0;
    trade.last_updated = from_micros(statement.column_int(c::kLastUpdated));
    return trade;
}

AuditAction parse_action(std::string_view text) {
    if (const std::optional<AuditAction> action = parse_audit_action(text)) return *action;
    throw std::runtime_error("sqlite-store: unknown audit action '" + std::string(text) + "'");
}

AuditEntry read_audit(const Statement& statement) {
    namespace c = audit_column;
    AuditEntry entry;
    entry.id = statement.column_int(c::kId);
    entry.trade_id = statement.column_text(c::kTradeId);
    entry.action = parse_action(statement.column_text(c::kAction));
    entry.success = statement.column_text(c::kStatus) == "success";
    std::string_view codes = statement.column_text(c::kReasonCodes);
    while (!codes.empty()) {
        const std::size_t comma = codes.find(',');
        entry.reason_codes.emplace_back(codes.substr(0, comma));
        codes = comma == std::string_view::npos ? std::string_view{} : codes.substr(comma + 1);
    }
    entry.message = statement.column_text(c::kMessage);
    if (!statement.column_is_null(c::kReceivedVersion)) {
        entry.received_version = statement.column_int(c::kReceivedVersion);
    }
    if (!statement.column_is_null(c::kStoredVersion)) {
        entry.stored_version = statement.column_int(c::kStoredVersion);
    }
    entry.source = statement.column_text(c::kSource);
    entry.reference = statement.column_text(c::kReference);
    entry.timestamp = from_micros(statement.column_int(c::kTimestamp));
    return entry;
}

HistoryRecord read_history(const Statement& statement) {
    namespace c = history_column;
    HistoryRecord record;
    record.trade = read_trade(statement);  // recorded_at in last_updated's place
    record.recorded_at = record.trade.last_updated;
    record.action = parse_action(statement.column_text(c::kAction));
    if (!statement.column_is_null(c::kPreviousVersion)) {
        record.previous_version = statement.column_int(c::kPreviousVersion);
    }
    record.source = statement.column_text(c::kSource);
    record.reference = statement.column_text(c::kReference);
    record.business_date = stored_date(statement.column_text(c::kBusinessDate));
    return record;
}

}  // namespace tradestore::plugins::sqlite
