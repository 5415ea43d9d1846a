#include "access_policy.h"

namespace tradestore::rest {

std::optional<Role> parse_role(std::string_view name) {
    if (name == "reader") return Role::Reader;
    if (name == "writer") return Role::Writer;
    if (name == "admin") return Role::Admin;
    if (name == "metrics") return Role::Metrics;
    return std::nullopt;
}

std::string_view to_string(Role role) {
    switch (role) {
        case Role::Metrics:
            return "metrics";
        case Role::Reader:
            return "reader";
        case Role::Writer:
            return "writer";
        case Role::Admin:
            return "admin";
    }
    return "reader";
}

std::string_view least_role(Access access) {
    switch (access) {
        case Access::Open:
        case Access::Probe:
        case Access::Metrics:
            return "metrics";
        case Access::Reader:
            return "reader";
        case Access::Writer:
            return "writer";
        case Access::Admin:
            return "admin";
    }
    return "admin";
}

bool role_grants(Role role, Access access) {
    switch (access) {
        case Access::Open:
        case Access::Probe:
        case Access::Metrics:
            return true;  // any valid token
        case Access::Reader:
            return role == Role::Reader || role == Role::Writer || role == Role::Admin;
        case Access::Writer:
            return role == Role::Writer || role == Role::Admin;
        case Access::Admin:
            return role == Role::Admin;
    }
    return false;
}

}  // namespace tradestore::rest
