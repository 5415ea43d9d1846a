#include "request_dispatcher.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>

#include "openapi.h"
#include "read_floor.h"
#include "response_bodies.h"
#include "transport/request_body.h"

namespace tradestore::rest {
namespace {

constexpr std::size_t kKeptBufferCapacity = 256 * 1024;

// Per-thread buffers, reused across requests so the hot path allocates nothing for bodies.
struct Buffers {
    std::string request_body;
    std::string response_body;

    // A huge body once should not stay resident in every worker thread.
    void trim() {
        if (request_body.capacity() > kKeptBufferCapacity) std::string().swap(request_body);
        if (response_body.capacity() > kKeptBufferCapacity) std::string().swap(response_body);
    }
};

const std::string kRequestIdHeader = "X-Request-ID";
const std::string kOriginHeader = "Origin";
const std::string kPreflightMethodHeader = "Access-Control-Request-Method";
const std::string kPreflightHeadersHeader = "Access-Control-Request-Headers";
const std::string kNoValue;

ServiceContent make_content(Host& host, const RestConfig& config) {
    std::string info = "{\"name\":\"TradeStore\",\"version\":";
    append_json_string(info, host.version());
    info += ",\"docs\":\"/docs\",\"openapi\":\"/openapi.json\",\"health\":\"/api/v1/health\"}";
    OpenApiOptions options;
    options.version = std::string(host.version());
    options.max_body_bytes = config.max_body_bytes;
    options.max_batch_items = config.max_batch_items;
    options.max_header_bytes = config.max_header_bytes;
    return ServiceContent{std::move(info), openapi_json(options), DocsAssets(config.docs_dir), {}};
}

}  // namespace

RequestDispatcher::RequestDispatcher(Host& host, const RestConfig& config,
                                     const std::atomic<bool>& stopping)
    : host_(host),
      config_(config),
      content_(make_content(host, config)),
      handlers_(host, config, content_),
      stopping_(stopping),
      cors_(config.cors),
      metrics_(host.metrics()),
      guard_(host, std::make_shared<const Authenticator>(config.auth, config.metrics_token)) {
    if (!content_.docs.installed()) {
        host.log(LogLevel::Info, "rest-source",
                 "Swagger UI assets not found in '" + config.docs_dir +
                     "'; GET /docs will say so (GET /openapi.json works)");
    }
}

bool RequestDispatcher::serve(Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response, bool header_only) {
    const auto started = std::chrono::steady_clock::now();
    thread_local Buffers buffers;
    buffers.response_body.clear();

    char id_buffer[RequestIdGenerator::kBufferSize];
    std::string_view request_id = request.get(kRequestIdHeader, kNoValue);
    if (!is_acceptable_request_id(request_id)) request_id = ids_.next(id_buffer);

    const Target target = split_target(request.getURI());
    const std::string& method = request.getMethod();
    const std::string& origin = cors_.enabled() ? request.get(kOriginHeader, kNoValue) : kNoValue;
    static const std::string kNoParam;

    Reply reply;
    std::size_t slot = RequestMetrics::unmatched_slot();
    bool body_read = false;
    std::string token_id;  // for the access log: who called (the store's audit has no field)
    if (!origin.empty() && method == "OPTIONS" && request.has(kPreflightMethodHeader)) {
        if (header_only) return true;  // a preflight needs no token
        Exchange exchange{request,    target.query,         kNoParam,
                          request_id, buffers.request_body, buffers.response_body};
        reply = preflight(request, origin, exchange, response);
        slot = RequestMetrics::preflight_slot();
    } else {
        const RouteMatch route = match_route(method, target.path);
        Exchange exchange{request,    target.query,         route.param,
                          request_id, buffers.request_body, buffers.response_body};
        if (!header_only) {
            reply = dispatch(route, exchange);
        } else if (route.kind != RouteMatch::Kind::Found) {
            return true;  // 404 and 405 are answered once the body is here, as before
        } else if (auto refused = guard_.check(route, exchange)) {
            reply = *refused;  // the body stays unread, so the answer closes the connection
        } else {
            return true;
        }
        body_read = exchange.body_read;
        token_id = std::move(exchange.token_id);
        slot = RequestMetrics::slot_of(route);
    }
    if (!origin.empty() && cors_.origin_allowed(origin)) {
        response.set("Access-Control-Allow-Origin", std::string(cors_.allow_origin_value(origin)));
        response.set("Access-Control-Expose-Headers",
                     "X-Request-ID, Retry-After, Idempotent-Replayed, X-Min-LSN");
        response.set("Vary", "Origin");
    }

    // An unread body would be taken for the next request: close instead. While stopping,
    // every connection closes after its current answer.
    const bool close = reply.status == Reply::kNoResponse ||
                       stopping_.load(std::memory_order_relaxed) ||
                       (!body_read && has_body(request));
    if (reply.status == Reply::kNoResponse) {
        response.setKeepAlive(false);
    } else {
        try {
            send_reply(response, reply, request_id, buffers.response_body, close);
        } catch (const std::exception& e) {
            // Poco::Exception derives from std::exception: the client went away mid-answer.
            if (host_.log_enabled(LogLevel::Debug)) {
                host_.log_with(LogLevel::Debug, "rest-source",
                               std::string("answer not sent: ") + e.what(),
                               {.request_id = request_id});
            }
            response.setKeepAlive(false);
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (reply.status != Reply::kNoResponse) metrics_.record(slot, reply.status, seconds);
    if (config_.access_log) {
        const std::string status = std::to_string(reply.status);
        const std::string duration_ms = std::to_string(seconds * 1000.0);
        std::string line = method;
        line += ' ';
        line += request.getURI();
        line += ' ';
        line += status;
        line += ' ';
        line += duration_ms;
        line += " ms";
        if (!token_id.empty()) {
            line += " token_id=";
            line += token_id;
        }
        // The same facts as fields of their own, for the JSON log format.
        const std::string client = request.clientAddress().toString();
        const std::string bytes =
            std::to_string(reply.static_body != nullptr ? reply.static_body->size()
                                                        : buffers.response_body.size());
        std::vector<LogField> fields = {
            {"method", method},       {"path", target.path},
            {"status", status, true}, {"duration_ms", duration_ms, true},
            {"client", client},       {"bytes", bytes, true}};
        if (!token_id.empty()) fields.push_back({"token_id", token_id});
        host_.log_with(LogLevel::Info, "rest-source.access", line,
                       {.request_id = request_id, .fields = fields});
    }
    buffers.trim();
    return false;
}

Reply RequestDispatcher::preflight(const Poco::Net::HTTPServerRequest& request,
                                   std::string_view origin, Exchange& exchange,
                                   Poco::Net::HTTPServerResponse& response) {
    const std::string refused =
        cors_.refuse_preflight(origin, request.get(kPreflightMethodHeader, kNoValue),
                               request.get(kPreflightHeadersHeader, kNoValue));
    if (!refused.empty()) {
        append_detail(exchange.body, "Disallowed CORS " + refused);
        return {400};
    }
    response.set("Access-Control-Allow-Methods", cors_.allow_methods());
    response.set("Access-Control-Allow-Headers", cors_.allow_headers());
    response.set("Access-Control-Max-Age", cors_.max_age());
    return {204};
}

Reply RequestDispatcher::dispatch(const RouteMatch& route, Exchange& exchange) {
    switch (route.kind) {
        case RouteMatch::Kind::NotFound:
            append_detail(exchange.body, "Not Found");
            return {404};
        case RouteMatch::Kind::MethodNotAllowed:
            append_detail(exchange.body, "Method Not Allowed");
            return {405, false, route.allow};
        case RouteMatch::Kind::Found:
            break;
    }
    if (auto refused = guard_.check(route, exchange)) return *refused;
    const bool floored = exchange.request.has(kMinLsnHeader);
    std::optional<ReadTarget> reads =
        read_target(floored ? &exchange.request.get(kMinLsnHeader) : nullptr, host_.store(),
                    host_.capabilities().read_replicas);
    if (!reads) {
        append_detail(exchange.body, kMalformedMinLsn);
        return {400};
    }
    exchange.reader = reads->reader;
    try {
        return call(route.endpoint, exchange);
    } catch (const StoreUnavailable& e) {
        host_.log_with(LogLevel::Warning, "rest-source",
                       std::string("store unavailable: ") + e.what(),
                       {.request_id = exchange.request_id});
        return handlers_.unavailable(exchange);
    } catch (const Poco::Exception& e) {
        log_failure(exchange.request, exchange.request_id, e.displayText());
    } catch (const std::exception& e) {
        log_failure(exchange.request, exchange.request_id, e.what());
    } catch (...) {
        log_failure(exchange.request, exchange.request_id, "unknown exception");
    }
    exchange.body.clear();
    append_detail(exchange.body, "Internal server error");
    return {500};
}

Reply RequestDispatcher::call(Endpoint endpoint, Exchange& exchange) {
    switch (endpoint) {
        case Endpoint::CreateTrade:
            return handlers_.create_trade(exchange);
        case Endpoint::CreateBatch:
            return handlers_.create_batch(exchange);
        case Endpoint::ListTrades:
            return handlers_.list_trades(exchange);
        case Endpoint::ListByBook:
            return handlers_.list_by_book(exchange);
        case Endpoint::GetTrade:
            return handlers_.get_trade(exchange);
        case Endpoint::DeleteTrade:
            return handlers_.delete_trade(exchange);
        case Endpoint::TradeHistory:
            return handlers_.trade_history(exchange);
        case Endpoint::Health:
            return handlers_.health(exchange);
        case Endpoint::HealthLive:
            return handlers_.health_live(exchange);
        case Endpoint::HealthReady:
            return handlers_.health_ready(exchange);
        case Endpoint::Statistics:
            return handlers_.statistics(exchange);
        case Endpoint::ExpireTrades:
            return handlers_.expire_trades(exchange);
        case Endpoint::AuditLogs:
            return handlers_.audit_logs(exchange);
        case Endpoint::Events:
            return handlers_.events(exchange);
        case Endpoint::ServiceInfo:
            return handlers_.service_info(exchange);
        case Endpoint::OpenApi:
            return handlers_.openapi(exchange);
        case Endpoint::Docs:
            return handlers_.docs(exchange);
        case Endpoint::DocsAsset:
            return handlers_.docs_asset(exchange);
        case Endpoint::Metrics:
            return handlers_.metrics(exchange);
    }
    return handlers_.health(exchange);
}

void RequestDispatcher::log_failure(const Poco::Net::HTTPServerRequest& request,
                                    std::string_view request_id, std::string_view what) {
    std::string message = request.getMethod();
    message += ' ';
    message += request.getURI();
    message += " (request ";
    message += request_id;
    message += ") failed: ";
    message += what;
    host_.log_with(LogLevel::Error, "rest-source", message, {.request_id = request_id});
}

}  // namespace tradestore::rest
