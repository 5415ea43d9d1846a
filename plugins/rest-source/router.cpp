#include "router.h"

#include <array>

namespace tradestore::rest {
namespace {

enum MethodBit : std::uint8_t { kGet = 1, kHead = 2, kPost = 4, kDelete = 8 };

constexpr std::string_view kParam = "{}";

struct RouteSpec {
    std::array<std::string_view, 3> segments;  // unused trailing segments are empty
    std::size_t segment_count;
    std::uint8_t methods;
    Endpoint endpoint;
};

// Declaration order of the former FastAPI app; it decides which route wins.
constexpr RouteSpec kRoutes[] = {
    {{"trades"}, 1, kPost, Endpoint::CreateTrade},
    {{"trades", "batch"}, 2, kPost, Endpoint::CreateBatch},
    {{"trades"}, 1, kGet | kHead, Endpoint::ListTrades},
    {{"trades", "book", kParam}, 3, kGet | kHead, Endpoint::ListByBook},
    {{"trades", kParam}, 2, kGet | kHead, Endpoint::GetTrade},
    {{"trades", kParam}, 2, kDelete, Endpoint::DeleteTrade},
    {{"health"}, 1, kGet | kHead, Endpoint::Health},
    {{"statistics"}, 1, kGet | kHead, Endpoint::Statistics},
    {{"expire-trades"}, 1, kPost, Endpoint::ExpireTrades},
    {{"audit-logs"}, 1, kGet | kHead, Endpoint::AuditLogs},
};

std::uint8_t method_bit(std::string_view method) {
    if (method == "GET") return kGet;
    if (method == "POST") return kPost;
    if (method == "DELETE") return kDelete;
    if (method == "HEAD") return kHead;
    return 0;
}

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

}  // namespace

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
    if (!path.starts_with(kApiPrefix)) return result;
    path.remove_prefix(kApiPrefix.size());
    if (path.size() < 2 || path.front() != '/') return result;
    path.remove_prefix(1);

    std::array<std::string_view, 3> segments;
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
    for (const RouteSpec& route : kRoutes) {
        if (route.segment_count != count) continue;
        std::size_t param_at = count;
        bool same = true;
        for (std::size_t i = 0; i < count && same; ++i) {
            if (route.segments[i] == kParam) {
                param_at = i;
            } else {
                same = route.segments[i] == segments[i];
            }
        }
        if (!same) continue;
        if ((route.methods & wanted) == 0) {
            path_methods |= route.methods;
            continue;
        }
        result.kind = RouteMatch::Kind::Found;
        result.endpoint = route.endpoint;
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
