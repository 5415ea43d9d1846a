// The dispatcher's gate: asks the current Authenticator about each matched route and, when
// the caller may not pass, answers 401 (no or bad token, with WWW-Authenticate) or 403 (valid
// token, role too low) in the API's error shape. Each refusal is logged (component "auth":
// method, path, token id or "-", client address, outcome; never the token) and counted in
// tradestore_auth_failures_total{reason}. Nothing is written to the store for a refusal, so
// an unauthenticated client cannot grow the database.
//
// The Authenticator is swapped atomically on reload; a request holds the one it started
// with, so connections and requests in flight are unaffected.
#pragma once

#include <tradestore/host.h>
#include <tradestore/metrics.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "authenticator.h"
#include "handlers.h"
#include "router.h"

namespace tradestore::rest {

class AccessGuard {
  public:
    AccessGuard(Host& host, std::shared_ptr<const Authenticator> authenticator);

    void replace(std::shared_ptr<const Authenticator> authenticator) {
        current_.store(std::move(authenticator));
    }

    // nullopt when the request may go on; else the refusal, its body in exchange.body.
    std::optional<Reply> check(const RouteMatch& route, Exchange& exchange);

  private:
    void log_refusal(const Exchange& exchange, const AuthDecision& decision, int status);

    Host& host_;
    std::atomic<std::shared_ptr<const Authenticator>> current_;
    Counter& missing_token_;
    Counter& invalid_token_;
    Counter& insufficient_role_;
};

}  // namespace tradestore::rest
