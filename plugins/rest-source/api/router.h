// The route table of /api/v1 — the one the router matches and GET /openapi.json documents;
// each route carries its documentation as data — and the few service routes outside it (/,
// /openapi.json, /docs, /metrics).
//
// Matching follows Starlette (FastAPI): routes are tried in declaration order and the first
// one whose path and method both match wins; when paths match but no method does, the answer
// is 405 with an Allow header. So GET /trades/batch reads the trade "batch", while
// PUT /trades/batch is 405. HEAD is allowed wherever GET is. Path parameters are one segment,
// split on raw '/' and then percent-decoded, so an id containing '/' is reachable as %2F.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "auth/access_policy.h"

namespace tradestore::rest {

inline constexpr std::string_view kApiPrefix = "/api/v1";

enum class Endpoint : std::uint8_t {
    CreateTrade,   // POST   /trades
    CreateBatch,   // POST   /trades/batch
    ListTrades,    // GET    /trades
    ListByBook,    // GET    /trades/book/{book_id}
    GetTrade,      // GET    /trades/{trade_id}
    DeleteTrade,   // DELETE /trades/{trade_id}
    TradeHistory,  // GET    /trades/{trade_id}/history
    Health,        // GET    /health
    HealthLive,    // GET    /health/live
    HealthReady,   // GET    /health/ready
    Statistics,    // GET    /statistics
    ExpireTrades,  // POST   /expire-trades
    AuditLogs,     // GET    /audit-logs
    Events,        // GET    /events
    // Service routes, outside /api/v1 and outside the API document.
    ServiceInfo,  // GET    /
    OpenApi,      // GET    /openapi.json
    Docs,         // GET    /docs
    DocsAsset,    // GET    /docs/{file}
    Metrics,      // GET    /metrics
};

// How GET /openapi.json documents an operation, beside what the router needs (openapi.cpp
// renders it). Names are those of the document's components: a schema name, or "Name[]" for
// an array of them; "parameters" and "responses" entries are components of those kinds.
// Unused array slots stay empty. A name the document lacks makes openapi_document() throw
// std::logic_error, so a typo here fails every test that renders the document.
struct ApiAnswer {
    enum class Headers : std::uint8_t {
        Plain,           // X-Request-ID
        Write,           // and X-Min-LSN (the commit, with read replicas)
        ReplayableWrite  // and Idempotent-Replayed (a POST taking an Idempotency-Key)
    };
    int status = 0;
    std::string_view description{};
    std::string_view schema{};
    Headers headers = Headers::Plain;
};
struct ApiError {
    int status = 0;
    std::string_view response{};  // components/responses
};
struct OperationDoc {
    std::string_view description{};   // longer than the summary; empty: none
    std::string_view request_body{};  // a JSON body's schema; empty: no body
    // After the path's own ({trade_id}: TradeIdPath, {book_id}: BookIdPath) and before
    // RequestId, which every operation takes.
    std::array<std::string_view, 5> parameters{};
    std::array<ApiAnswer, 2> answers{};
    // 401 and 403 follow from the route's access and are not listed here.
    std::array<ApiError, 6> errors{};
};

// One operation of the API: a method on a path template under /api/v1.
struct ApiRoute {
    std::string_view method;  // GET, POST or DELETE; a GET route answers HEAD too
    std::string_view path;    // e.g. "/trades/{trade_id}": "{name}" is one path segment
    Endpoint endpoint;
    std::string_view operation_id;
    std::string_view tag;
    std::string_view summary;
    Access access;  // the role a caller needs (access_policy.h)
    OperationDoc doc;
};

// In declaration order, which is the matching order.
std::span<const ApiRoute> api_routes();

// The service routes, answering GET and HEAD.
struct ServiceRoute {
    std::string_view path;  // exact, or a prefix ending in '/' for DocsAsset
    Endpoint endpoint;
    Access access;
};
std::span<const ServiceRoute> service_routes();

struct RouteMatch {
    enum class Kind : std::uint8_t { Found, NotFound, MethodNotAllowed };
    Kind kind = Kind::NotFound;
    Endpoint endpoint = Endpoint::Health;
    Access access = Access::Open;  // what the matched route needs (Found only)
    // Index into api_routes() (then service_routes() after them) of the route that answered;
    // kNoRoute for NotFound. For MethodNotAllowed, the first route with that path.
    std::size_t route = kNoRoute;
    std::string param;       // the decoded path parameter, when the route has one
    std::string_view allow;  // for MethodNotAllowed, e.g. "GET, HEAD, DELETE"

    static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);
};

// `path` is the request target without its query string.
RouteMatch match_route(std::string_view method, std::string_view path);

// Splits a request target into path and query (without the '?'; a fragment is dropped).
struct Target {
    std::string_view path;
    std::string_view query;
};
Target split_target(std::string_view target);

// Percent-decoding of a path segment ('+' stays '+'); an invalid escape is kept as is.
std::string percent_decode_path(std::string_view text);

}  // namespace tradestore::rest
