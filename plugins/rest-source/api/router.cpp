#include "router.h"

#include <array>

namespace tradestore::rest {
namespace {

enum MethodBit : std::uint8_t { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

// Declaration order of the former FastAPI app; it decides which route wins. The last field is
// the access a route needs: GET reader, POST trades writer, the rest admin, probes open.
constexpr ApiRoute kApiRoutes[] = {
    {"POST", "/trades", Endpoint::CreateTrade, "createTrade", "trades",
     "Create or update one trade", Access::Writer},
    {"POST", "/trades/batch", Endpoint::CreateBatch, "createTradesBatch", "trades",
     "Create or update many trades in one transaction", Access::Writer},
    {"GET", "/trades", Endpoint::ListTrades, "listTrades", "trades", "List trades by id",
     Access::Reader},
    {"GET", "/trades/book/{book_id}", Endpoint::ListByBook, "listTradesByBook", "trades",
     "List the trades of one book", Access::Reader},
    {"GET", "/trades/{trade_id}", Endpoint::GetTrade, "getTrade", "trades", "Read one trade",
     Access::Reader},
    {"DELETE", "/trades/{trade_id}", Endpoint::DeleteTrade, "deleteTrade", "trades",
     "Delete one trade (a tombstone keeps its last version)", Access::Admin},
    {"GET", "/trades/{trade_id}/history", Endpoint::TradeHistory, "getTradeHistory", "trades",
     "Every accepted version of one trade, oldest first", Access::Reader},
    {"GET", "/health", Endpoint::Health, "getHealth", "service",
     "Health of the store and every source", Access::Reader},
    {"GET", "/health/live", Endpoint::HealthLive, "getLiveness", "service",
     "Liveness probe: the process serves", Access::Probe},
    {"GET", "/health/ready", Endpoint::HealthReady, "getReadiness", "service",
     "Readiness probe: the store answers and every source runs", Access::Probe},
    {"GET", "/statistics", Endpoint::Statistics, "getStatistics", "service",
     "Counts of stored trades", Access::Reader},
    {"POST", "/expire-trades", Endpoint::ExpireTrades, "expireTrades", "service",
     "Run the expiry now", Access::Admin},
    {"GET", "/audit-logs", Endpoint::AuditLogs, "listAuditLogs", "audit",
     "Audit entries, oldest first (in the order they were recorded)", Access::Admin},
    {"GET", "/events", Endpoint::Events, "listEvents", "audit",
     "System events (STARTED, STOPPED, KAFKA_ERROR, ...), newest first", Access::Admin},
};
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
