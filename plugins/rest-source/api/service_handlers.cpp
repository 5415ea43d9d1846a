// GET /health, /health/live, /health/ready, /statistics, /audit-logs, POST /expire-trades,
// and the service routes: /, /openapi.json, /docs, /metrics.
#include "handlers.h"
#include "query_params.h"
#include "response_bodies.h"

namespace tradestore::rest {

Reply Handlers::health(Exchange& exchange) {
    const HealthReport report = host_.health();
    append_health(exchange.body, report, host_.clock().now(), host_.version());
    return {200};
}

Reply Handlers::statistics(Exchange& exchange) {
    append_statistics(exchange.body, exchange.reader->statistics(host_.clock().today()));
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
    append_audit_logs(exchange.body, host_.codec(), exchange.reader->audit(query));
    return {200};
}

Reply Handlers::health_live(Exchange& exchange) {
    exchange.body.append(R"({"status":"alive"})");
    return {200};
}

Reply Handlers::health_ready(Exchange& exchange) {
    const HealthReport report = host_.health();
    std::string reason;
    for (const auto& [name, state] : report.services) {
        // Details such as kafka_consumer_lag are no reason; a part that is down is.
        if (state != "down") continue;
        if (!reason.empty()) reason += "; ";
        reason += name + " is " + state;
    }
    append_readiness(exchange.body, report, reason);
    return {report.ready ? 200 : 503};
}

Reply Handlers::service_info(Exchange& exchange) {
    Reply reply{200};
    reply.static_body = &content_.info;
    (void)exchange;
    return reply;
}

Reply Handlers::openapi(Exchange& exchange) {
    (void)exchange;
    Reply reply{200};
    reply.static_body = &content_.openapi;
    return reply;
}

Reply Handlers::docs(Exchange& exchange) {
    (void)exchange;
    Reply reply{content_.docs.installed() ? 200 : 404};
    reply.content_type =
        content_.docs.installed() ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    reply.static_body = &content_.docs.page();
    return reply;
}

Reply Handlers::docs_asset(Exchange& exchange) {
    const DocsAssets::Asset* asset = content_.docs.find(exchange.param);
    if (asset == nullptr) {
        append_detail(exchange.body, content_.docs.installed()
                                         ? "Not Found"
                                         : "Swagger UI assets are not installed");
        return {404};
    }
    Reply reply{200};
    reply.content_type = asset->content_type;
    reply.cache_control = "public, max-age=86400";
    reply.static_body = &asset->body;
    return reply;
}

Reply Handlers::metrics(Exchange& exchange) {
    // Who may scrape is the access guard's business (access_policy.h: Access::Metrics).
    if (content_.before_scrape) content_.before_scrape();
    exchange.body = host_.metrics().render_prometheus();
    Reply reply{200};
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    return reply;
}

}  // namespace tradestore::rest
