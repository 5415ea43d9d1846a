// The authentication settings of the rest-source (keys auth.*, allow_anonymous): their schema
// and their typed, checked values.
#pragma once

#include <tradestore/settings.h>

#include <string>
#include <string_view>
#include <vector>

#include "token_table.h"

namespace tradestore::rest {

struct JwtConfig {
    std::vector<std::string> algorithms;  // an allow-list of HS256, RS256; empty: JWT off
    std::string hs256_secret;
    std::string rs256_public_key_file;  // PEM
    std::string issuer;                 // `iss` must equal it
    std::string audience;               // when set, `aud` must contain it
    std::string role_claim = "role";

    bool enabled() const { return !algorithms.empty(); }
    bool allows(std::string_view algorithm) const;
};

struct AuthConfig {
    std::vector<TokenEntry> tokens;  // auth.tokens.<id>
    JwtConfig jwt;
    bool open_probes = true;       // /api/v1/health/live and /health/ready need no token
    bool open_metrics = false;     // /metrics needs no token even with auth on
    bool allow_anonymous = false;  // auth off on a non-loopback address, knowingly

    // Whether the API needs a token at all.
    bool enabled() const { return !tokens.empty() || jwt.enabled(); }
};

inline constexpr std::string_view kTokenKeyPrefix = "auth.tokens.";

std::vector<SettingSpec> auth_setting_specs();

// Reads the auth settings; each problem found names its key.
AuthConfig auth_config_from_settings(const Settings& settings,
                                     std::vector<SettingProblem>& problems);

// 127.0.0.0/8, ::1 and "localhost": addresses only this machine can reach.
bool is_loopback_host(std::string_view host);

}  // namespace tradestore::rest
