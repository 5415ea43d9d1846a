#include "access_guard.h"

#include "api/response_bodies.h"

namespace tradestore::rest {
namespace {

constexpr std::string_view kChallenge = R"(Bearer realm="tradestore")";
constexpr std::string_view kInvalidTokenChallenge =
    R"(Bearer realm="tradestore", error="invalid_token")";
constexpr std::string_view kInsufficientScopeChallenge =
    R"(Bearer realm="tradestore", error="insufficient_scope")";

Counter& failures(Host& host, std::string_view reason) {
    return host.metrics().counter("tradestore_auth_failures_total",
                                  "REST requests refused by authentication (401) or "
                                  "authorization (403), by reason",
                                  {{"reason", std::string(reason)}});
}

std::string_view outcome_name(AuthOutcome outcome) {
    switch (outcome) {
        case AuthOutcome::Allowed:
            return "allowed";
        case AuthOutcome::MissingToken:
            return "missing_token";
        case AuthOutcome::InvalidToken:
            return "invalid_token";
        case AuthOutcome::InsufficientRole:
            return "insufficient_role";
    }
    return "invalid_token";
}

}  // namespace

AccessGuard::AccessGuard(Host& host, std::shared_ptr<const Authenticator> authenticator)
    : host_(host),
      current_(std::move(authenticator)),
      missing_token_(failures(host, "missing_token")),
      invalid_token_(failures(host, "invalid_token")),
      insufficient_role_(failures(host, "insufficient_role")) {}

std::optional<Reply> AccessGuard::check(const RouteMatch& route, Exchange& exchange) {
    const std::shared_ptr<const Authenticator> authenticator = current();
    if (!authenticator->needs_token(route.access)) return std::nullopt;  // no header lookup
    static const std::string kNoHeader;
    const AuthDecision decision =
        authenticator->decide(route.access, exchange.request.get("Authorization", kNoHeader));
    Reply reply;
    switch (decision.outcome) {
        case AuthOutcome::Allowed:
            if (decision.token_id != "-") exchange.token_id = decision.token_id;
            return std::nullopt;
        case AuthOutcome::MissingToken:
            missing_token_.inc();
            append_detail(exchange.body, "Not authenticated");
            reply = Reply{401};
            reply.authenticate = kChallenge;
            break;
        case AuthOutcome::InvalidToken:
            invalid_token_.inc();
            append_detail(exchange.body, "Invalid or expired token");
            reply = Reply{401};
            reply.authenticate = kInvalidTokenChallenge;
            break;
        case AuthOutcome::InsufficientRole:
            insufficient_role_.inc();
            append_detail(exchange.body, "Forbidden: this operation needs the " +
                                             std::string(least_role(route.access)) + " role");
            reply = Reply{403};
            reply.authenticate = kInsufficientScopeChallenge;
            break;
    }
    log_refusal(exchange, decision, reply.status);
    return reply;
}

void AccessGuard::log_refusal(const Exchange& exchange, const AuthDecision& decision, int status) {
    const Poco::Net::HTTPServerRequest& request = exchange.request;
    std::string line = "refused ";
    line += std::to_string(status);
    line += " outcome=";
    line += outcome_name(decision.outcome);
    line += " method=";
    line += request.getMethod();
    line += " path=";
    line += split_target(request.getURI()).path;
    line += " token_id=";
    line += decision.token_id;
    line += " client=";
    line += request.clientAddress().toString();
    if (!decision.reason.empty()) {
        line += " reason=";
        line += decision.reason;
    }
    host_.log_with(LogLevel::Warning, "auth", line, {.request_id = exchange.request_id});
}

}  // namespace tradestore::rest
