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
    append_json_string(out, query.trade_id);
    out.append(",\"skip\":");
    out.append(std::to_string(query.skip));
    out.append(",\"limit\":");
    out.append(std::to_string(query.limit));
    out.append(",\"items\":[");
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (i != 0) out.push_back(',');
        codec.append_history_record(out, records[i], std::nullopt);
    }
    out.append("]}");
}

}  // namespace tradestore::rest
