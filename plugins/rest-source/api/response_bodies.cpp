#include "response_bodies.h"

#include <charconv>
#include <chrono>

namespace tradestore::rest {
namespace {

void append_reason_codes(std::string& out, const std::vector<Rejection>& reasons) {
    out.push_back('[');
    for (std::size_t i = 0; i < reasons.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_json_string(out, reasons[i].code);
    }
    out.push_back(']');
}

// The codec writes a trade as an object; reopen it to add fields after its own.
void append_trade_open(std::string& out, const TradeCodec& codec, const Trade& trade,
                       Date business_date) {
    codec.append_trade(out, trade, business_date);
    if (!out.empty() && out.back() == '}') out.pop_back();
}

}  // namespace

void append_detail(std::string& out, std::string_view message) {
    out.append("{\"detail\":");
    append_json_string(out, message);
    out.push_back('}');
}

void append_validation_errors(std::string& out, const TradeCodec& codec,
                              const std::vector<FieldError>& errors) {
    out.append("{\"detail\":");
    codec.append_field_errors(out, errors);
    out.push_back('}');
}

void append_syntax_error(std::string& out, const SyntaxError& error) {
    append_detail(out, describe_syntax_error(error));
}

std::string join_reasons(const std::vector<Rejection>& reasons) {
    std::string joined;
    for (const Rejection& reason : reasons) {
        if (!joined.empty()) joined += "; ";
        joined += reason.message;
    }
    return joined;
}

void append_rejection(std::string& out, std::string_view trade_id,
                      const std::vector<Rejection>& reasons) {
    out.append("{\"detail\":");
    append_json_string(out, join_reasons(reasons));
    out.append(",\"reasons\":");
    append_reason_codes(out, reasons);
    out.append(",\"trade_id\":");
    append_json_string(out, trade_id);
    out.push_back('}');
}

void append_accepted_trade(std::string& out, const TradeCodec& codec, const Trade& trade,
                           Date business_date, Outcome outcome) {
    append_trade_open(out, codec, trade, business_date);
    out.append(",\"outcome\":\"");
    out.append(to_string(outcome));
    out.append("\"}");
}

void append_batch_accepted(std::string& out, const TradeCodec& codec, std::size_t index,
                           const Trade& trade, Date business_date, Outcome outcome) {
    out.append("{\"index\":");
    append_json_int(out, static_cast<std::int64_t>(index));
    out.append(",\"trade_id\":");
    append_json_string(out, trade.trade_id);
    out.append(",\"outcome\":\"");
    out.append(to_string(outcome));
    out.append("\",\"trade\":");
    codec.append_trade(out, trade, business_date);
    out.push_back('}');
}

void append_batch_rejected(std::string& out, std::size_t index, std::string_view trade_id,
                           const std::vector<Rejection>& reasons) {
    out.append("{\"index\":");
    append_json_int(out, static_cast<std::int64_t>(index));
    out.append(",\"trade_id\":");
    append_json_string(out, trade_id);
    out.append(",\"outcome\":\"rejected\",\"detail\":");
    append_json_string(out, join_reasons(reasons));
    out.append(",\"reasons\":");
    append_reason_codes(out, reasons);
    out.push_back('}');
}

void append_batch_invalid(std::string& out, const TradeCodec& codec, std::size_t index,
                          const std::vector<FieldError>& errors) {
    out.append("{\"index\":");
    append_json_int(out, static_cast<std::int64_t>(index));
    out.append(",\"outcome\":\"invalid\",\"errors\":");
    codec.append_field_errors(out, errors);
    out.push_back('}');
}

void append_trade_not_found(std::string& out, std::string_view trade_id) {
    std::string message = "Trade ";
    message += trade_id;
    message += " not found";
    append_detail(out, message);
}

void append_trade_deleted(std::string& out, std::string_view trade_id) {
    std::string message = "Trade ";
    message += trade_id;
    message += " deleted successfully";
    out.append("{\"message\":");
    append_json_string(out, message);
    out.push_back('}');
}

void append_health(std::string& out, const HealthReport& report, Timestamp now,
                   std::string_view version) {
    out.append(report.healthy ? "{\"status\":\"healthy\"" : "{\"status\":\"unhealthy\"");
    out.append(",\"timestamp\":\"");
    append_timestamp(out, now);
    out.append("\",\"version\":");
    append_json_string(out, version);
    out.append(",\"services\":{");
    bool first = true;
    for (const auto& [name, state] : report.services) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, name);
        out.push_back(':');
        append_json_string(out, state);
    }
    out.append("}}");
}

namespace {

void append_services(std::string& out, const HealthReport& report) {
    out.append("\"services\":{");
    bool first = true;
    for (const auto& [name, state] : report.services) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, name);
        out.push_back(':');
        append_json_string(out, state);
    }
    out.push_back('}');
}

}  // namespace

void append_readiness(std::string& out, const HealthReport& report, std::string_view reason) {
    out.append(report.ready ? "{\"status\":\"ready\"," : "{\"status\":\"not ready\",");
    if (!report.ready) {
        out.append("\"detail\":");
        append_json_string(out, reason.empty() ? std::string_view("not ready") : reason);
        out.push_back(',');
    }
    append_services(out, report);
    out.push_back('}');
}

void append_statistics(std::string& out, const Statistics& statistics) {
    out.append("{\"total_trades\":");
    append_json_int(out, statistics.total_trades);
    out.append(",\"active_trades\":");
    append_json_int(out, statistics.active_trades);
    out.append(",\"expired_trades\":");
    append_json_int(out, statistics.expired_trades);
    out.push_back('}');
}

void append_expiry(std::string& out, std::int64_t trades_expired) {
    out.append("{\"message\":\"Expiry check completed\",\"trades_expired\":");
    append_json_int(out, trades_expired);
    out.push_back('}');
}

void append_audit_logs(std::string& out, const TradeCodec& codec,
                       const std::vector<AuditEntry>& logs) {
    out.append("{\"logs\":[");
    for (std::size_t i = 0; i < logs.size(); ++i) {
        if (i != 0) out.push_back(',');
        codec.append_audit(out, logs[i]);
    }
    out.append("],\"count\":");
    append_json_int(out, static_cast<std::int64_t>(logs.size()));
    out.push_back('}');
}

}  // namespace tradestore::rest
