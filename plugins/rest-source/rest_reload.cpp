// RestSource::reload (SIGHUP) and the start-up note on how callers are authenticated.
#include <set>
#include <stdexcept>

#include "auth/auth.h"
#include "rest_server.h"

namespace tradestore::rest {
namespace {

// Settings a running source applies at once; every other change waits for a restart. The
// certificate settings apply while the port stays HTTPS (switching HTTPS on or off, or the
// handshake deadline the reactor was built with, needs a restart).
bool applies_at_run_time(std::string_view key, bool tls_stays_on) {
    if (key.starts_with("auth.") || key == "metrics_token") return true;
    return tls_stays_on && key.starts_with("tls.") && key != "tls.handshake_timeout";
}

}  // namespace

void log_auth_mode(Host& host, const RestConfig& config) {
    const AuthConfig& auth = config.auth;
    if (auth.enabled()) {
        std::string mode = "authentication on: " + std::to_string(auth.tokens.size()) + " token(s)";
        if (auth.jwt.enabled()) {
            mode += ", JWT (";
            for (std::size_t i = 0; i < auth.jwt.algorithms.size(); ++i)
                mode += (i ? ", " : "") + auth.jwt.algorithms[i];
            mode += ")";
        }
        mode += auth.open_probes ? "; probes open" : "; probes protected";
        mode += auth.open_metrics ? "; /metrics open" : "; /metrics protected";
        host.log(LogLevel::Info, "auth", mode);
    } else if (!is_loopback_host(config.host)) {
        host.log(LogLevel::Warning, "auth",
                 "authentication is OFF on non-loopback address " + config.host +
                     " (allow_anonymous = true): anyone who reaches the port can read, write and "
                     "delete trades");
    } else {
        host.log(LogLevel::Info, "auth", "authentication off (loopback address only)");
    }
}

void RestSource::reload(const Settings& settings) {
    // Both throw with one line on a bad value; the kernel then keeps the running table.
    const RestConfig fresh = config_from_settings(settings);
    // check_settings judged the new file by its own host, but the socket stays where it is
    // until a restart: judge turning authentication off by the address in use.
    if (!fresh.auth.enabled() && !fresh.auth.allow_anonymous && !is_loopback_host(config_.host)) {
        throw std::invalid_argument(
            "rest-source: reload refused: it turns authentication off while the port still "
            "listens on non-loopback address " +
            config_.host +
            " (a new host takes effect at the next restart); keep a token or set "
            "allow_anonymous = true");
    }
    auto authenticator = std::make_shared<const Authenticator>(fresh.auth, fresh.metrics_token);
    // The certificate files are read again even when their paths are unchanged: renewing a
    // certificate in place is the usual reason for a reload. Loaded before anything is swapped,
    // so files that do not load leave both the old tokens and the old certificate running.
    const bool tls_stays_on = config_.tls.enabled() && fresh.tls.enabled();
    Poco::Net::Context::Ptr tls_context;
    if (tls_stays_on && reactor_) tls_context = make_tls_context(fresh.tls);

    std::set<std::string, std::less<>> keys;
    for (const auto& [key, value] : settings_.values()) keys.insert(key);
    for (const auto& [key, value] : settings.values()) keys.insert(key);
    std::string needs_restart;
    for (const std::string& key : keys) {
        if (applies_at_run_time(key, tls_stays_on)) continue;
        const bool before = settings_.has(key);
        const bool after = settings.has(key);
        if (before != after || (before && settings_.get_string(key) != settings.get_string(key))) {
            needs_restart += needs_restart.empty() ? key : ", " + key;
        }
    }
    if (dispatcher_) dispatcher_->set_authenticator(std::move(authenticator));
    if (tls_context) reactor_->set_tls_context(std::move(tls_context));
    if (host_ != nullptr) {
        if (!needs_restart.empty()) {
            host_->log(LogLevel::Warning, "rest-source",
                       "reload: changed settings that take effect at the next restart (needs "
                       "restart): " +
                           needs_restart);
        }
        log_auth_mode(*host_, fresh);
        if (tls_stays_on) {
            host_->log(LogLevel::Info, "rest-source", "reload: TLS certificate and keys reloaded");
        }
    }
    settings_ = settings;
}

}  // namespace tradestore::rest
