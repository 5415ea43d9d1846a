#include "authenticator.h"

namespace tradestore::rest {
namespace {

bool same_letters_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

}  // namespace

std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() <= kScheme.size() ||
        !same_letters_ignoring_case(authorization.substr(0, kScheme.size()), kScheme) ||
        authorization[kScheme.size()] != ' ') {
        return {};
    }
    std::string_view token = authorization.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    return token;
}

Authenticator::Authenticator(const AuthConfig& config, const std::string& metrics_token)
    : api_protected_(config.enabled()),
      probes_protected_(config.enabled() && !config.open_probes),
      metrics_protected_(!metrics_token.empty() || (config.enabled() && !config.open_metrics)) {
    for (const TokenEntry& entry : config.tokens) tokens_.add(entry);
    if (!metrics_token.empty()) {
        tokens_.add({{"metrics_token", Role::Metrics}, sha256(metrics_token)});
    }
    if (config.jwt.enabled()) jwt_ = std::make_unique<JwtVerifier>(config.jwt);
}

bool Authenticator::needs_token(Access access) const {
    switch (access) {
        case Access::Open:
            return false;
        case Access::Probe:
            return probes_protected_;
        case Access::Metrics:
            return metrics_protected_;
        case Access::Reader:
        case Access::Writer:
        case Access::Admin:
            return api_protected_;
    }
    return true;
}

AuthDecision Authenticator::decide(Access access, std::string_view authorization) const {
    AuthDecision decision;
    if (!needs_token(access)) return decision;
    const std::string_view token = bearer_token(authorization);
    if (token.empty()) {
        decision.outcome = AuthOutcome::MissingToken;
        return decision;
    }
    std::optional<Identity> identity = tokens_.find(token);
    if (!identity && jwt_ && JwtVerifier::looks_like_jwt(token)) {
        identity = jwt_->verify(std::string(token), decision.reason);
    } else if (!identity) {
        decision.reason = "unknown token";
    }
    if (!identity) {
        decision.outcome = AuthOutcome::InvalidToken;
        return decision;
    }
    decision.token_id = identity->id;
    if (!role_grants(identity->role, access)) {
        decision.outcome = AuthOutcome::InsufficientRole;
        decision.reason =
            std::string(to_string(identity->role)) + " lacks " + std::string(least_role(access));
    }
    return decision;
}

}  // namespace tradestore::rest
