// The route table of /api/v1, matched without regular expressions.
//
// Matching follows Starlette (FastAPI): routes are tried in declaration order and the first
// one whose path and method both match wins; when paths match but no method does, the answer
// is 405 with an Allow header. So GET /trades/batch reads the trade "batch", while
// PUT /trades/batch is 405. HEAD is allowed wherever GET is. Path parameters are one segment,
// split on raw '/' and then percent-decoded, so an id containing '/' is reachable as %2F.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tradestore::rest {

inline constexpr std::string_view kApiPrefix = "/api/v1";

enum class Endpoint : std::uint8_t {
    CreateTrade,   // POST   /trades
    CreateBatch,   // POST   /trades/batch
    ListTrades,    // GET    /trades
    ListByBook,    // GET    /trades/book/{book_id}
    GetTrade,      // GET    /trades/{trade_id}
    DeleteTrade,   // DELETE /trades/{trade_id}
    Health,        // GET    /health
    Statistics,    // GET    /statistics
    ExpireTrades,  // POST   /expire-trades
    AuditLogs,     // GET    /audit-logs
};

struct RouteMatch {
    enum class Kind : std::uint8_t { Found, NotFound, MethodNotAllowed };
    Kind kind = Kind::NotFound;
    Endpoint endpoint = Endpoint::Health;
    std::string param;       // the decoded path parameter, when the route has one
    std::string_view allow;  // for MethodNotAllowed, e.g. "GET, HEAD, DELETE"
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
