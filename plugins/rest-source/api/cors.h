// Cross-origin resource sharing, from the cors_* settings (off unless origins are listed).
// A request from an allowed origin gets Access-Control-Allow-Origin; a preflight (OPTIONS with
// Access-Control-Request-Method) is answered 204 with the allowed methods and headers, or 400
// naming what is not allowed, as Starlette's CORSMiddleware does.
#pragma once

#include <string>
#include <string_view>

#include "rest_config.h"

namespace tradestore::rest {

class CorsPolicy {
  public:
    explicit CorsPolicy(const CorsConfig& config);

    bool enabled() const { return enabled_; }
    bool origin_allowed(std::string_view origin) const;
    // The Access-Control-Allow-Origin value for an allowed origin ("*" or the origin).
    std::string_view allow_origin_value(std::string_view origin) const;

    // Empty when the preflight is allowed, else what is refused ("origin", "method",
    // "headers", joined with ", ").
    std::string refuse_preflight(std::string_view origin, std::string_view method,
                                 std::string_view request_headers) const;

    const std::string& allow_methods() const { return allow_methods_; }
    const std::string& allow_headers() const { return allow_headers_; }
    const std::string& max_age() const { return max_age_; }

  private:
    CorsConfig config_;
    bool enabled_ = false;
    bool any_origin_ = false;
    std::string allow_methods_;
    std::string allow_headers_;
    std::string max_age_;
};

}  // namespace tradestore::rest
