// The dispatcher's gate: asks the current Authenticator about each matched route and, when
// the caller may not pass, answers 401 (no or bad token, with WWW-Authenticate) or 403 (valid
// token, role too low) in the API's error shape. Each refusal is logged (component "auth":
// method, path, token id or "-", client address, outcome; never the token) and counted in
// tradestore_auth_failures_total{reason}. Nothing is written to the store for a refusal, so
// an unauthenticated client cannot grow the database.
//
// The Authenticator is swapped on reload under a mutex; a request holds the one it started
// with, so connections and requests in flight are unaffected. (Not std::atomic<shared_ptr>:
// libstdc++ 12 unlocks it with a relaxed store after a load, which gives no happens-before
// with the next store; ThreadSanitizer reports that as a race between reload and a worker.)
#pragma once

#include <tradestore/host.h>
#include <tradestore/metrics.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/handlers.h"
#include "api/router.h"
#include "authenticator.h"

namespace tradestore::rest {

class AccessGuard {
  public:
    AccessGuard(Host& host, std::shared_ptr<const Authenticator> authenticator);

    void replace(std::shared_ptr<const Authenticator> authenticator) {
        std::lock_guard lock(current_mutex_);
        current_.swap(authenticator);  // the old one is released after the lock, here
    }

    // nullopt when the request may go on; else the refusal, its body in exchange.body.
    std::optional<Reply> check(const RouteMatch& route, Exchange& exchange);

  private:
    void log_refusal(const Exchange& exchange, const AuthDecision& decision, int status);
    std::shared_ptr<const Authenticator> current() const {
        std::lock_guard lock(current_mutex_);
        return current_;
    }

    Host& host_;
    mutable std::mutex current_mutex_;
    std::shared_ptr<const Authenticator> current_;
    Counter& missing_token_;
    Counter& invalid_token_;
    Counter& insufficient_role_;
};

}  // namespace tradestore::rest
