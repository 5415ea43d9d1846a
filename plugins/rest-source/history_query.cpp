#include "history_query.h"

#include "response_bodies.h"
#include "rfc3339.h"

namespace tradestore::rest {
namespace {

void instant(const QueryParams& params, std::string_view name, std::optional<Timestamp>& value,
             std::vector<FieldError>& errors) {
    const std::string* text = params.find(name);
    if (text == nullptr) return;
    value = parse_rfc3339(*text);
    if (!value) {
        errors.push_back(
            {{"query", std::string(name)}, std::string(kBadInstant), "datetime_parsing"});
    }
}

}  // namespace

HistoryQuery parse_history_query(std::string trade_id, const QueryParams& params,
                                 std::vector<FieldError>& errors) {
    HistoryQuery query;
    query.trade_id = std::move(trade_id);
    const Paging paging = parse_paging(params, errors);
    query.skip = paging.skip;
    query.limit = paging.limit;
    instant(params, "from", query.from, errors);
    instant(params, "to", query.to, errors);
    return query;
}

void append_history(std::string& out, const TradeCodec& codec, const HistoryQuery& query,
                    const std::vector<HistoryRecord>& records) {
    out.append("{\"trade_id\":");
    codec.append_json_string(out, query.trade_id);
    out.append(",\"skip\":");
    out.append(std::to_string(query.skip));
    out.append(",\"limit\":");
    out.append(std::to_string(query.limit));
    out.append(",\"items\":[");
    for (std::size_t i = 0; i < records.size(); ++i) {
        const HistoryRecord& record = records[i];
        if (i != 0) out.push_back(',');
        out.append("{\"version\":");
        out.append(std::to_string(record.trade.version));
        out.append(",\"action\":\"");
        out.append(to_string(record.action));
        out.append("\",\"previous_version\":");
        out.append(record.previous_version ? std::to_string(*record.previous_version) : "null");
        out.append(",\"recorded_at\":\"");
        append_iso_timestamp(out, record.recorded_at);
        out.append("\",\"business_date\":\"");
        out.append(format_date(record.business_date));
        out.append("\",\"source\":");
        codec.append_json_string(out, record.source);
        out.append(",\"reference\":");
        codec.append_json_string(out, record.reference);
        out.append(",\"trade\":");
        codec.append_trade(out, record.trade, record.business_date);
        out.push_back('}');
    }
    out.append("]}");
}

}  // namespace tradestore::rest
