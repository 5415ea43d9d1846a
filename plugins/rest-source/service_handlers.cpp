// GET /health, GET /statistics, POST /expire-trades, GET /audit-logs.
#include "handlers.h"
#include "query_params.h"
#include "response_bodies.h"

namespace tradestore::rest {

Reply Handlers::health(Exchange& exchange) {
    const HealthReport report = host_.health();
    append_health(exchange.body, host_.codec(), report, host_.clock().now(), host_.version());
    return {200};
}

Reply Handlers::statistics(Exchange& exchange) {
    append_statistics(exchange.body, host_.store().statistics(host_.clock().today()));
    return {200};
}

Reply Handlers::expire_trades(Exchange& exchange) {
    append_expiry(exchange.body, host_.expire_now("rest"));
    return {200};
}

Reply Handlers::audit_logs(Exchange& exchange) {
    const QueryParams params(exchange.query);
    std::vector<FieldError> errors;
    const Paging paging = parse_paging(params, errors);
    if (!errors.empty()) return validation_failed(exchange, errors);
    AuditQuery query;
    if (const std::string* trade_id = params.find("trade_id")) query.trade_id = *trade_id;
    query.skip = paging.skip;
    query.limit = paging.limit;
    append_audit_logs(exchange.body, host_.codec(), host_.store().audit(query));
    return {200};
}

}  // namespace tradestore::rest
