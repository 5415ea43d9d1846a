// The endpoint handlers. Each fills the response body and returns the status; the dispatcher
// routes, sends, and maps exceptions (StoreUnavailable to 503, anything else to 500).
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <tradestore/host.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "docs_assets.h"
#include "keys_in_flight.h"
#include "query_params.h"
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
    // Where the client reads go: the store, or a reader that sees the commit the request's
    // X-Min-LSN names (read_floor.h). Set by the dispatcher before a handler runs.
    StoreReader* reader = nullptr;
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
    Reply get_trade_as_of(Exchange& exchange, const QueryParams& params);
    Reply delete_trade(Exchange& exchange);
    Reply list_by_book(Exchange& exchange);
    Reply trade_history(Exchange& exchange);

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

    // idempotent_submit.cpp
    // The answer of a POST that writes, rendered from its candidates' results.
    using AnswerRenderer = std::function<IdempotentAnswer(std::span<const ItemResult>)>;
    // The request's Idempotency-Key into `key` (empty when none was sent); a reply (400) when
    // it is malformed.
    std::optional<Reply> read_idempotency_key(Exchange& exchange, std::string& key);
    // Submits the batch and answers from its results. With a key: the first answer again for
    // a retry, 422 for the key's reuse with another request, 409 while it is in flight; else
    // the key is claimed with the answer in the transaction of the decisions.
    Reply submit_and_answer(Exchange& exchange, Batch batch, const std::string& key,
                            const AnswerRenderer& render, std::string_view what);
    // The stored answer of the key, as a reply: replayed, or 422 when `hash` differs;
    // nullopt when the key has no row that lasts.
    std::optional<Reply> stored_answer(Exchange& exchange, const std::string& scoped_key,
                                       const std::string& hash);
    Reply key_in_flight(Exchange& exchange);

    Host& host_;
    const RestConfig& config_;
    ServiceContent& content_;
    KeysInFlight keys_in_flight_;
};

}  // namespace tradestore::rest
