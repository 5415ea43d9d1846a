// Turns each HTTP request into a handler call: request id, routing, exception mapping.
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <tradestore/host.h>

#include <atomic>

#include "handlers.h"
#include "request_id.h"
#include "router.h"

namespace tradestore::rest {

class RequestDispatcher {
  public:
    // While `stopping` is set, every answer closes its connection.
    RequestDispatcher(Host& host, const RestConfig& config, const std::atomic<bool>& stopping)
        : host_(host), handlers_(host, config), stopping_(stopping) {}

    void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

  private:
    Reply dispatch(const RouteMatch& route, Exchange& exchange);
    Reply call(Endpoint endpoint, Exchange& exchange);
    void log_failure(const Poco::Net::HTTPServerRequest& request, std::string_view request_id,
                     std::string_view what);

    Host& host_;
    Handlers handlers_;
    const std::atomic<bool>& stopping_;
    RequestIdGenerator ids_;
};

// Poco asks this factory for a handler per request; each one forwards to the dispatcher.
class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
  public:
    explicit HandlerFactory(RequestDispatcher& dispatcher) : dispatcher_(dispatcher) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

  private:
    RequestDispatcher& dispatcher_;
};

}  // namespace tradestore::rest
