// Who may call what: the roles a bearer token carries and the access each route needs. Every
// route declares its access in the route table (router.cpp), so adding a route is one line.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tradestore::rest {

// Roles nest: admin can do what writer can, writer what reader can. `metrics` is for a
// Prometheus scraper: /metrics (and protected probes) only.
enum class Role : std::uint8_t { Metrics, Reader, Writer, Admin };

// What a route needs.
enum class Access : std::uint8_t {
    Open,     // never needs a token (/, /openapi.json, /docs)
    Probe,    // /health/live and /health/ready: open unless auth.open_probes = false
    Metrics,  // /metrics: protected with auth on (unless auth.open_metrics) or metrics_token
    Reader,
    Writer,
    Admin,
};

std::optional<Role> parse_role(std::string_view name);
std::string_view to_string(Role role);
// "reader", "writer", "admin", or for the others the least role that has it.
std::string_view least_role(Access access);

// Whether a token with `role` may call a route needing `access` (when that route is protected).
bool role_grants(Role role, Access access);

}  // namespace tradestore::rest
