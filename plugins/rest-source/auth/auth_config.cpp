#include "auth_config.h"

#include <algorithm>

namespace tradestore::rest {
namespace {

constexpr std::string_view kAlgorithms[] = {"HS256", "RS256"};

std::string string_or_empty(const Settings& settings, std::string_view key) {
    return settings.has(key) ? settings.get_string(key) : std::string();
}

void read_jwt(const Settings& settings, JwtConfig& jwt, std::vector<SettingProblem>& problems) {
    if (settings.has("auth.jwt.algorithms"))
        jwt.algorithms = settings.get_list("auth.jwt.algorithms");
    for (const std::string& algorithm : jwt.algorithms) {
        if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), algorithm) ==
            std::end(kAlgorithms)) {
            problems.push_back({"auth.jwt.algorithms",
                                "'" + algorithm + "' is not accepted; allow HS256 and/or RS256"});
        }
    }
    jwt.hs256_secret = string_or_empty(settings, "auth.jwt.hs256_secret");
    jwt.rs256_public_key_file = string_or_empty(settings, "auth.jwt.rs256_public_key");
    jwt.issuer = string_or_empty(settings, "auth.jwt.issuer");
    jwt.audience = string_or_empty(settings, "auth.jwt.audience");
    if (settings.has("auth.jwt.role_claim"))
        jwt.role_claim = settings.get_string("auth.jwt.role_claim");
    if (!jwt.enabled()) return;
    if (jwt.allows("HS256") && jwt.hs256_secret.size() < 32) {
        problems.push_back({"auth.jwt.hs256_secret",
                            "HS256 is allowed, so a secret of at least 32 bytes is needed"});
    }
    if (jwt.allows("RS256") && jwt.rs256_public_key_file.empty()) {
        problems.push_back({"auth.jwt.rs256_public_key",
                            "RS256 is allowed, so the PEM file of the RSA public key is needed"});
    }
    if (jwt.issuer.empty()) {
        problems.push_back({"auth.jwt.issuer",
                            "JWT is on (auth.jwt.algorithms), so the issuer "
                            "its tokens must name is needed"});
    }
    if (jwt.role_claim.empty()) problems.push_back({"auth.jwt.role_claim", "must not be empty"});
}

}  // namespace

bool JwtConfig::allows(std::string_view algorithm) const {
    return std::find(algorithms.begin(), algorithms.end(), algorithm) != algorithms.end();
}

std::vector<SettingSpec> auth_setting_specs() {
    return {
        {"auth.tokens.*", SettingType::Secret, "", false,
         "A bearer token, as <role>:sha256:<SHA-256 of the token, hex>; role reader, writer, "
         "admin or metrics; the key's last part is the token id that logs show"},
        {"auth.jwt.algorithms", SettingType::List, "", false,
         "JWT signature algorithms accepted (HS256, RS256); unset turns JWT off"},
        {"auth.jwt.hs256_secret", SettingType::Secret, "", false,
         "HS256 key (at least 32 bytes); use ${file:...} or ${ENV}"},
        {"auth.jwt.rs256_public_key", SettingType::String, "", false,
         "PEM file with the RSA public key that verifies RS256 tokens"},
        {"auth.jwt.issuer", SettingType::String, "", false,
         "The iss a token must carry (required with JWT)"},
        {"auth.jwt.audience", SettingType::String, "", false,
         "When set, a token's aud must contain it"},
        {"auth.jwt.role_claim", SettingType::String, "role", false,
         "The claim holding the role (reader, writer, admin or metrics)"},
        {"auth.open_probes", SettingType::Bool, "true", false,
         "/api/v1/health/live and /health/ready answer without a token"},
        {"auth.open_metrics", SettingType::Bool, "false", false,
         "/metrics answers without a token even when authentication is on"},
        {"allow_anonymous", SettingType::Bool, "false", false,
         "Allow listening on a non-loopback address with authentication off (logs a warning)"},
    };
}

AuthConfig auth_config_from_settings(const Settings& settings,
                                     std::vector<SettingProblem>& problems) {
    AuthConfig auth;
    for (const auto& [key, value] : settings.values()) {
        if (!key.starts_with(kTokenKeyPrefix)) continue;
        const std::string_view id = std::string_view(key).substr(kTokenKeyPrefix.size());
        std::string problem;
        if (auto entry = parse_token_setting(id, value, problem)) {
            auth.tokens.push_back(std::move(*entry));
        } else {
            problems.push_back({key, problem});
        }
    }
    read_jwt(settings, auth.jwt, problems);
    if (settings.has("auth.open_probes")) auth.open_probes = settings.get_bool("auth.open_probes");
    if (settings.has("auth.open_metrics")) {
        auth.open_metrics = settings.get_bool("auth.open_metrics");
    }
    if (settings.has("allow_anonymous"))
        auth.allow_anonymous = settings.get_bool("allow_anonymous");
    return auth;
}

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") return true;
    if (!host.starts_with("127.")) return false;
    // 127.x.y.z with digits and dots only: not a name like "127.example.com".
    return std::all_of(host.begin(), host.end(),
                       [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

}  // namespace tradestore::rest
