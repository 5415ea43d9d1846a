#include "router.h"

#include <array>

namespace tradestore::rest {
namespace {

enum MethodBit : std::uint8_t { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

using Headers = ApiAnswer::Headers;

// Declaration order of the former FastAPI app; it decides which route wins. After the summary:
// the access a route needs (GET reader, POST trades writer, the rest admin, probes open), then
// what GET /openapi.json says of it beyond that (OperationDoc, router.h). Laid out by hand as a
// table (clang-format would put every field of a route on a line of its own).
// clang-format off
constexpr ApiRoute kApiRoutes[] = {
    {"POST", "/trades", Endpoint::CreateTrade, "createTrade", "trades",
     "Create or update one trade", Access::Writer,
     {.request_body = "TradeInput",
      .parameters = {"IdempotencyKey"},
      .answers = {{{201, "The trade as stored, with what happened to it", "AcceptedTrade",
                    Headers::ReplayableWrite}}},
      .errors = {{{400, "BadRequest"}, {409, "IdempotencyKeyInFlight"}, {413, "PayloadTooLarge"},
                  {415, "UnsupportedMediaType"}, {422, "ValidationFailedOrKeyReused"},
                  {503, "Unavailable"}}}}},
    {"POST", "/trades/batch", Endpoint::CreateBatch, "createTradesBatch", "trades",
     "Create or update many trades in one transaction", Access::Writer,
     {.description =
          "Every well-formed item is applied in one transaction; the answer has one entry per "
          "item, in order: accepted, rejected (by a rule) or invalid (shape).",
      .request_body = "TradeInput[]",
      .parameters = {"IdempotencyKey"},
      .answers = {{{200, "One result per item, in input order", "BatchItemResult[]",
                    Headers::ReplayableWrite}}},
      .errors = {{{400, "MalformedJson"}, {409, "IdempotencyKeyInFlight"},
                  {413, "PayloadTooLarge"}, {415, "UnsupportedMediaType"},
                  {422, "ValidationFailedOrKeyReused"}, {503, "Unavailable"}}}}},
    {"GET", "/trades", Endpoint::ListTrades, "listTrades", "trades",
     "List trades by id", Access::Reader,
     {.parameters = {"Skip", "Limit", "SnapshotAsOf", "MinLsn"},
      .answers = {{{200, "Trades ordered by trade_id (bytewise), as of as_of when given",
                    "Trade[]"}}},
      .errors = {{{400, "MalformedMinLsn"}, {404, "NoTradeHistory"}, {422, "ValidationFailed"},
                  {503, "Unavailable"}}}}},
    {"GET", "/trades/book/{book_id}", Endpoint::ListByBook, "listTradesByBook", "trades",
     "List the trades of one book", Access::Reader,
     {.parameters = {"SnapshotAsOf", "MinLsn"},
      .answers = {{{200, "The book's trades (possibly none) ordered by trade_id, as of as_of "
                         "when given", "Trade[]"}}},
      .errors = {{{400, "MalformedMinLsn"}, {404, "NoTradeHistory"}, {422, "ValidationFailed"},
                  {503, "Unavailable"}}}}},
    {"GET", "/trades/{trade_id}", Endpoint::GetTrade, "getTrade", "trades",
     "Read one trade", Access::Reader,
     {.parameters = {"AsOf", "MinLsn"},
      .answers = {{{200, "The trade (as of as_of, when given)", "Trade"}}},
      .errors = {{{400, "MalformedMinLsn"}, {404, "NoTradeHistory"}, {422, "ValidationFailed"},
                  {503, "Unavailable"}}}}},
    {"DELETE", "/trades/{trade_id}", Endpoint::DeleteTrade, "deleteTrade", "trades",
     "Delete one trade (a tombstone keeps its last version)", Access::Admin,
     {.description =
          "A delete goes through the ingest path like a new version: the rules may refuse it "
          "(400), it is audited and recorded in the trade's history, and a tombstone keeps the "
          "version deleted.",
      .answers = {{{200, "Deleted; a later version may bring the trade back", "Message",
                    Headers::Write}}},
      .errors = {{{400, "BadRequest"}, {404, "NotFound"}, {503, "Unavailable"}}}}},
    {"GET", "/trades/{trade_id}/history", Endpoint::TradeHistory, "getTradeHistory", "trades",
     "Every accepted version of one trade, oldest first", Access::Reader,
     {.description =
          "Every accepted version of the trade (create, update, replace, expiry, delete), oldest "
          "first, each with the whole trade as that version left it; from and to (inclusive) "
          "bound recorded_at. 404 when the trade has no history at all; an empty items list "
          "when it has some but none on this page, or when the store keeps no history "
          "(NoTradeHistory).",
      .parameters = {"Skip", "Limit", "HistoryFrom", "HistoryTo", "MinLsn"},
      .answers = {{{200, "The trade's versions, oldest first", "TradeHistory"}}},
      .errors = {{{400, "MalformedMinLsn"}, {404, "NoTradeHistory"}, {422, "ValidationFailed"},
                  {503, "Unavailable"}}}}},
    {"GET", "/health", Endpoint::Health, "getHealth", "service",
     "Health of the store and every source", Access::Reader,
     {.answers = {{{200, "The state of the store and every source", "Health"}}}}},
    {"GET", "/health/live", Endpoint::HealthLive, "getLiveness", "service",
     "Liveness probe: the process serves", Access::Probe,
     {.answers = {{{200, "The process serves", "Liveness"}}}}},
    {"GET", "/health/ready", Endpoint::HealthReady, "getReadiness", "service",
     "Readiness probe: the store answers and every source runs", Access::Probe,
     {.answers = {{{200, "The store answers and every source runs", "Readiness"},
                   {503, "Not ready: `detail` says why", "Readiness"}}}}},
    {"GET", "/statistics", Endpoint::Statistics, "getStatistics", "service",
     "Counts of stored trades", Access::Reader,
     {.parameters = {"MinLsn"},
      .answers = {{{200, "Counts as of the business date", "Statistics"}}},
      .errors = {{{400, "MalformedMinLsn"}, {503, "Unavailable"}}}}},
    {"POST", "/expire-trades", Endpoint::ExpireTrades, "expireTrades", "service",
     "Run the expiry now", Access::Admin,
     {.answers = {{{200, "How many trades this run marked", "ExpiryResult"}}},
      .errors = {{{503, "Unavailable"}}}}},
    {"GET", "/audit-logs", Endpoint::AuditLogs, "listAuditLogs", "audit",
     "Audit entries, oldest first (in the order they were recorded)", Access::Admin,
     {.parameters = {"AuditTradeId", "Skip", "Limit", "MinLsn"},
      .answers = {{{200, "Audit entries, oldest first; count is the number returned",
                    "AuditLogs"}}},
      .errors = {{{400, "MalformedMinLsn"}, {422, "ValidationFailed"}, {503, "Unavailable"}}}}},
    {"GET", "/events", Endpoint::Events, "listEvents", "audit",
     "System events (STARTED, STOPPED, KAFKA_ERROR, ...), newest first", Access::Admin,
     {.description =
          "Read from the event store a plugin offers (mongo-audit: MongoDB's trade_events); 404 "
          "when none is configured (a 4xx: nothing is wrong with the server), 503 when it cannot "
          "be reached.",
      .parameters = {"EventType", "Severity", "Skip", "Limit"},
      .answers = {{{200, "Events, newest first; count is the number returned", "Events"}}},
      .errors = {{{404, "NoEventStore"}, {422, "ValidationFailed"}, {503, "Unavailable"}}}}},
};
// clang-format on
constexpr std::size_t kApiRouteCount = std::size(kApiRoutes);

constexpr ServiceRoute kServiceRoutes[] = {
    {"/", Endpoint::ServiceInfo, Access::Open},
    {"/openapi.json", Endpoint::OpenApi, Access::Open},
    {"/docs", Endpoint::Docs, Access::Open},
    {"/docs/", Endpoint::DocsAsset, Access::Open},
    {"/metrics", Endpoint::Metrics, Access::Metrics},
};

constexpr std::size_t kMaxSegments = 3;

// A path template split into segments at compile time; "{...}" segments match anything.
struct Compiled {
    std::array<std::string_view, kMaxSegments> segments{};
    std::array<bool, kMaxSegments> is_param{};
    std::size_t count = 0;
    std::uint8_t method = 0;
};

constexpr std::uint8_t method_bit(std::string_view method) {
    if (method == "GET") return kGet;
    if (method == "POST") return kPost;
    if (method == "DELETE") return kDelete;
    if (method == "HEAD") return kHead;
    return 0;
}

constexpr Compiled compile(const ApiRoute& route) {
    Compiled compiled;
    std::string_view path = route.path.substr(1);
    while (!path.empty()) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        compiled.is_param[compiled.count] = segment.starts_with('{');
        compiled.segments[compiled.count++] = segment;
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    }
    compiled.method = method_bit(route.method);
    if (compiled.method == kGet) compiled.method |= kHead;
    return compiled;
}

constexpr std::array<Compiled, kApiRouteCount> kCompiled = [] {
    std::array<Compiled, kApiRouteCount> out{};
    for (std::size_t i = 0; i < kApiRouteCount; ++i) out[i] = compile(kApiRoutes[i]);
    return out;
}();

std::string_view allow_header(std::uint8_t methods) {
    // Every combination the table can produce, in a fixed order.
    switch (methods) {
        case kGet | kHead:
            return "GET, HEAD";
        case kPost:
            return "POST";
        case kDelete:
            return "DELETE";
        case kGet | kHead | kPost:
            return "GET, HEAD, POST";
        case kGet | kHead | kDelete:
            return "GET, HEAD, DELETE";
        case kGet | kHead | kPost | kDelete:
            return "GET, HEAD, POST, DELETE";
        case kPost | kDelete:
            return "POST, DELETE";
        default:
            return "GET, HEAD";
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

RouteMatch match_service(std::string_view method, std::string_view path) {
    RouteMatch result;
    for (std::size_t i = 0; i < std::size(kServiceRoutes); ++i) {
        const ServiceRoute& route = kServiceRoutes[i];
        if (route.endpoint == Endpoint::DocsAsset) {
            if (!path.starts_with(route.path) || path.size() == route.path.size()) continue;
            const std::string_view file = path.substr(route.path.size());
            if (file.find('/') != std::string_view::npos) continue;
            result.param = percent_decode_path(file);
        } else if (path != route.path) {
            continue;
        }
        result.route = kApiRouteCount + i;
        result.endpoint = route.endpoint;
        result.access = route.access;
        if (method == "GET" || method == "HEAD") {
            result.kind = RouteMatch::Kind::Found;
        } else {
            result.kind = RouteMatch::Kind::MethodNotAllowed;
            result.allow = "GET, HEAD";
            result.param.clear();
        }
        return result;
    }
    return result;
}

}  // namespace

std::span<const ApiRoute> api_routes() {
    return kApiRoutes;
}

std::span<const ServiceRoute> service_routes() {
    return kServiceRoutes;
}

Target split_target(std::string_view target) {
    const std::size_t hash = target.find('#');
    if (hash != std::string_view::npos) target = target.substr(0, hash);
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return {target, {}};
    return {target.substr(0, question), target.substr(question + 1)};
}

std::string percent_decode_path(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high >= 0 && low >= 0) {
                decoded.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        decoded.push_back(text[i]);
    }
    return decoded;
}

RouteMatch match_route(std::string_view method, std::string_view path) {
    RouteMatch result;
    if (!path.starts_with(kApiPrefix) ||
        (path.size() > kApiPrefix.size() && path[kApiPrefix.size()] != '/')) {
        return match_service(method, path);
    }
    path.remove_prefix(kApiPrefix.size());
    if (path.size() < 2 || path.front() != '/') return result;
    path.remove_prefix(1);

    std::array<std::string_view, kMaxSegments> segments;
    std::size_t count = 0;
    while (true) {
        const std::size_t slash = path.find('/');
        const std::string_view segment = path.substr(0, slash);
        if (segment.empty() || count == segments.size()) return result;
        segments[count++] = segment;
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }

    const std::uint8_t wanted = method_bit(method);
    std::uint8_t path_methods = 0;
    for (std::size_t index = 0; index < kApiRouteCount; ++index) {
        const Compiled& route = kCompiled[index];
        if (route.count != count) continue;
        std::size_t param_at = count;
        bool same = true;
        for (std::size_t i = 0; i < count && same; ++i) {
            if (route.is_param[i]) {
                param_at = i;
            } else {
                same = route.segments[i] == segments[i];
            }
        }
        if (!same) continue;
        if ((route.method & wanted) == 0) {
            if (path_methods == 0) result.route = index;
            path_methods |= route.method;
            continue;
        }
        result.kind = RouteMatch::Kind::Found;
        result.endpoint = kApiRoutes[index].endpoint;
        result.access = kApiRoutes[index].access;
        result.route = index;
        if (param_at != count) result.param = percent_decode_path(segments[param_at]);
        return result;
    }
    if (path_methods != 0) {
        result.kind = RouteMatch::Kind::MethodNotAllowed;
        result.allow = allow_header(path_methods);
    }
    return result;
}

}  // namespace tradestore::rest
