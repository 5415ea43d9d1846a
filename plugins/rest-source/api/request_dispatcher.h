// Turns each HTTP request into a handler call: request id, CORS, routing, exception mapping,
// request metrics and the access log.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <tradestore/host.h>

#include <atomic>

#include "auth/access_guard.h"
#include "cors.h"
#include "handlers.h"
#include "request_id.h"
#include "request_metrics.h"
#include "router.h"
#include "transport/request_handler.h"

namespace tradestore::rest {

class RequestDispatcher final : public RequestHandler {
  public:
    // While `stopping` is set, every answer closes its connection.
    RequestDispatcher(Host& host, const RestConfig& config, const std::atomic<bool>& stopping);

    void handle(Poco::Net::HTTPServerRequest& request,
                Poco::Net::HTTPServerResponse& response) override {
        serve(request, response, false);
    }
    // Access decided on the header alone, before the body is read (the transport asks while
    // a body is still to come). True: go on. False: the 401/403 is in `response`, exactly as
    // handle() would answer it (same log line, counter and access log), with Connection: close.
    bool admit_header(Poco::Net::HTTPServerRequest& request,
                      Poco::Net::HTTPServerResponse& response) override {
        return serve(request, response, true);
    }
    void count_refusal(int status) noexcept override {
        metrics_.record(RequestMetrics::unmatched_slot(), status, 0.0);
    }

    // Called before each /metrics scrape (the source refreshes its connection gauges).
    void set_before_scrape(std::function<void()> hook) { content_.before_scrape = std::move(hook); }
    RequestMetrics& request_metrics() { return metrics_; }
    // Swaps the token table (reload); requests in flight keep the one they started with.
    void set_authenticator(std::shared_ptr<const Authenticator> authenticator) {
        guard_.replace(std::move(authenticator));
    }

  private:
    // header_only: stop after the access check. True only when the request may go on (the
    // header passed); false when `response` holds the answer.
    bool serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
               bool header_only);
    Reply dispatch(const RouteMatch& route, Exchange& exchange);
    Reply call(Endpoint endpoint, Exchange& exchange);
    Reply preflight(const Poco::Net::HTTPServerRequest& request, std::string_view origin,
                    Exchange& exchange, Poco::Net::HTTPServerResponse& response);
    void log_failure(const Poco::Net::HTTPServerRequest& request, std::string_view request_id,
                     std::string_view what);

    Host& host_;
    const RestConfig& config_;
    ServiceContent content_;
    Handlers handlers_;
    const std::atomic<bool>& stopping_;
    RequestIdGenerator ids_;
    CorsPolicy cors_;
    RequestMetrics metrics_;
    AccessGuard guard_;
};

}  // namespace tradestore::rest
