// The endpoint handlers. Each fills the response body and returns the status; the dispatcher
// routes, sends, and maps exceptions (StoreUnavailable to 503, anything else to 500).
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <tradestore/host.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "docs_assets.h"
#include "response_writer.h"
#include "rest_config.h"

namespace tradestore::rest {

// One request as the handlers see it.
struct Exchange {
    Poco::Net::HTTPServerRequest& request;
    std::string_view query;       // raw query string, without '?'
    const std::string& param;     // decoded path parameter, when the route has one
    std::string_view request_id;  // also the Candidate.reference and the audit reference
    std::string& request_body;    // reusable buffer for the request body
    std::string& body;            // the response body to fill
    bool body_read = false;       // the request body was consumed entirely
    std::string token_id{};       // the caller's token id when the route needed one
};

// What the service routes serve, prepared once at start.
struct ServiceContent {
    std::string info;                     // GET /
    std::string openapi;                  // GET /openapi.json
    DocsAssets docs;                      // GET /docs, /docs/{file}
    std::function<void()> before_scrape;  // refreshes the connection gauges
};

class Handlers {
  public:
    Handlers(Host& host, const RestConfig& config, ServiceContent& content)
        : host_(host), config_(config), content_(content) {}

    // trade_handlers.cpp
    Reply create_trade(Exchange& exchange);
    Reply create_batch(Exchange& exchange);
    Reply list_trades(Exchange& exchange);
    Reply get_trade(Exchange& exchange);
    Reply delete_trade(Exchange& exchange);
    Reply list_by_book(Exchange& exchange);

    // service_handlers.cpp
    Reply health(Exchange& exchange);
    Reply statistics(Exchange& exchange);
    Reply expire_trades(Exchange& exchange);
    Reply audit_logs(Exchange& exchange);

    // event_handlers.cpp
    Reply events(Exchange& exchange);
    Reply health_live(Exchange& exchange);
    Reply health_ready(Exchange& exchange);

    // The service routes outside /api/v1.
    Reply service_info(Exchange& exchange);
    Reply openapi(Exchange& exchange);
    Reply docs(Exchange& exchange);
    Reply docs_asset(Exchange& exchange);
    Reply metrics(Exchange& exchange);

    // 503 {"detail":"Service unavailable, retry later"} with Retry-After.
    Reply unavailable(Exchange& exchange);
    // 503 with Retry-After when the store could not learn whether it committed the request.
    Reply outcome_unknown(Exchange& exchange);

  private:
    // Checks the content type and reads the JSON body; a reply when the request ends here.
    std::optional<Reply> read_json_body(Exchange& exchange);
    Reply validation_failed(Exchange& exchange, const std::vector<FieldError>& errors);

    Host& host_;
    const RestConfig& config_;
    ServiceContent& content_;
};

}  // namespace tradestore::rest
