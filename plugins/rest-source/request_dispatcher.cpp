#include "request_dispatcher.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "request_body.h"
#include "response_bodies.h"

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

class ForwardingHandler final : public Poco::Net::HTTPRequestHandler {
  public:
    explicit ForwardingHandler(RequestDispatcher& dispatcher) : dispatcher_(dispatcher) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
        dispatcher_.handle(request, response);
    }

  private:
    RequestDispatcher& dispatcher_;
};

const std::string kRequestIdHeader = "X-Request-ID";
const std::string kNoValue;

}  // namespace

Poco::Net::HTTPRequestHandler* HandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
    return new ForwardingHandler(dispatcher_);
}

void RequestDispatcher::handle(Poco::Net::HTTPServerRequest& request,
                               Poco::Net::HTTPServerResponse& response) {
    thread_local Buffers buffers;
    buffers.response_body.clear();

    char id_buffer[RequestIdGenerator::kBufferSize];
    std::string_view request_id = request.get(kRequestIdHeader, kNoValue);
    if (!is_acceptable_request_id(request_id)) request_id = ids_.next(id_buffer);

    const Target target = split_target(request.getURI());
    const RouteMatch route = match_route(request.getMethod(), target.path);
    Exchange exchange{request,    target.query,         route.param,
                      request_id, buffers.request_body, buffers.response_body};
    const Reply reply = dispatch(route, exchange);

    // An unread body would be taken for the next request: close instead. While stopping,
    // every connection closes after its current answer.
    const bool close = reply.status == Reply::kNoResponse ||
                       stopping_.load(std::memory_order_relaxed) ||
                       (!exchange.body_read && has_body(request));
    if (reply.status == Reply::kNoResponse) {
        response.setKeepAlive(false);
    } else {
        try {
            send_reply(response, reply, request_id, buffers.response_body, close);
        } catch (const std::exception& e) {
            // Poco::Exception derives from std::exception: the client went away mid-answer.
            host_.log(LogLevel::Debug, "rest-source",
                      "answer to " + std::string(request_id) + " not sent: " + e.what());
            response.setKeepAlive(false);
        }
    }
    buffers.trim();
}

Reply RequestDispatcher::dispatch(const RouteMatch& route, Exchange& exchange) {
    const TradeCodec& codec = host_.codec();
    switch (route.kind) {
        case RouteMatch::Kind::NotFound:
            append_detail(exchange.body, codec, "Not Found");
            return {404};
        case RouteMatch::Kind::MethodNotAllowed:
            append_detail(exchange.body, codec, "Method Not Allowed");
            return {405, false, route.allow};
        case RouteMatch::Kind::Found:
            break;
    }
    try {
        return call(route.endpoint, exchange);
    } catch (const StoreUnavailable& e) {
        host_.log(LogLevel::Warning, "rest-source",
                  "store unavailable for " + std::string(exchange.request_id) + ": " + e.what());
        return handlers_.unavailable(exchange);
    } catch (const Poco::Exception& e) {
        log_failure(exchange.request, exchange.request_id, e.displayText());
    } catch (const std::exception& e) {
        log_failure(exchange.request, exchange.request_id, e.what());
    } catch (...) {
        log_failure(exchange.request, exchange.request_id, "unknown exception");
    }
    exchange.body.clear();
    append_detail(exchange.body, codec, "Internal server error");
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
        case Endpoint::Health:
            return handlers_.health(exchange);
        case Endpoint::Statistics:
            return handlers_.statistics(exchange);
        case Endpoint::ExpireTrades:
            return handlers_.expire_trades(exchange);
        case Endpoint::AuditLogs:
            return handlers_.audit_logs(exchange);
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
    host_.log(LogLevel::Error, "rest-source", message);
}

}  // namespace tradestore::rest
