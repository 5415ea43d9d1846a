// Decides, per request, whether the caller may use the route: static tokens (token_table.h),
// JWTs (jwt_verifier.h) and the settings that leave probes and /metrics open. Immutable once
// built; a reload builds a new one and swaps it in (access_guard.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "access_policy.h"
#include "auth_config.h"
#include "jwt_verifier.h"
#include "token_table.h"

namespace tradestore::rest {

enum class AuthOutcome : std::uint8_t { Allowed, MissingToken, InvalidToken, InsufficientRole };

struct AuthDecision {
    AuthOutcome outcome = AuthOutcome::Allowed;
    std::string token_id = "-";  // the token's id when one was recognised, "-" otherwise
    std::string reason;          // why a token was refused, for the log
};

// The token of an "Authorization: Bearer <token>" header; empty for none or another scheme.
std::string_view bearer_token(std::string_view authorization);

class Authenticator {
  public:
    // `metrics_token` is the older plain-text setting: a token with id "metrics_token" and the
    // metrics role, which protects /metrics. Throws std::invalid_argument for a bad JWT key.
    Authenticator(const AuthConfig& config, const std::string& metrics_token);

    AuthDecision decide(Access access, std::string_view authorization) const;

    bool api_protected() const { return api_protected_; }
    bool needs_token(Access access) const;

  private:
    TokenTable tokens_;
    std::unique_ptr<JwtVerifier> jwt_;
    bool api_protected_;
    bool probes_protected_;
    bool metrics_protected_;
};

}  // namespace tradestore::rest
