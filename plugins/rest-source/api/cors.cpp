#include "cors.h"

#include <algorithm>

namespace tradestore::rest {
namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::string join(const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) {
        if (!joined.empty()) joined += ", ";
        joined += item;
    }
    return joined;
}

}  // namespace

CorsPolicy::CorsPolicy(const CorsConfig& config)
    : config_(config),
      enabled_(config.enabled()),
      any_origin_(std::find(config.allowed_origins.begin(), config.allowed_origins.end(), "*") !=
                  config.allowed_origins.end()),
      allow_methods_(join(config.allowed_methods)),
      allow_headers_(join(config.allowed_headers)),
      max_age_(std::to_string(config.max_age.count())) {}

bool CorsPolicy::origin_allowed(std::string_view origin) const {
    if (!enabled_ || origin.empty()) return false;
    if (any_origin_) return true;
    return std::find(config_.allowed_origins.begin(), config_.allowed_origins.end(), origin) !=
           config_.allowed_origins.end();
}

std::string_view CorsPolicy::allow_origin_value(std::string_view origin) const {
    return any_origin_ ? std::string_view("*") : origin;
}

std::string CorsPolicy::refuse_preflight(std::string_view origin, std::string_view method,
                                         std::string_view request_headers) const {
    std::string refused;
    const auto add = [&refused](std::string_view what) {
        if (!refused.empty()) refused += ", ";
        refused += what;
    };
    if (!origin_allowed(origin)) add("origin");
    const bool method_ok =
        std::any_of(config_.allowed_methods.begin(), config_.allowed_methods.end(),
                    [&](const std::string& allowed) { return allowed == method; });
    if (!method_ok) add("method");
    bool headers_ok = true;
    while (!request_headers.empty() && headers_ok) {
        const std::size_t comma = request_headers.find(',');
        const std::string_view name = trim(request_headers.substr(0, comma));
        request_headers = comma == std::string_view::npos ? std::string_view{}
                                                          : request_headers.substr(comma + 1);
        if (name.empty()) continue;
        headers_ok = std::any_of(
            config_.allowed_headers.begin(), config_.allowed_headers.end(),
            [&](const std::string& allowed) { return equal_ignoring_case(allowed, name); });
    }
    if (!headers_ok) add("headers");
    return refused;
}

}  // namespace tradestore::rest
