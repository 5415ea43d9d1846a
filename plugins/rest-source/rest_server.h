// The rest-source: the request dispatcher behind an epoll reactor (http_reactor.h), over plain
// HTTP or HTTPS.
//
// Lifecycle: start() binds and listens, or throws std::runtime_error with one line. stop()
// stops accepting connections, closes idle and half-received ones, lets every request in
// flight finish (its answer fully sent, with Connection: close); after request_timeout it
// closes whatever is left. It then joins every worker, so no request touches the Host after
// stop() returns.
#pragma once

#include <Poco/Net/Context.h>
#include <tradestore/source.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api.h"
#include "rest_config.h"
#include "transport/transport.h"

namespace tradestore::rest {

class RestSource final : public Source {
  public:
    // `settings` are the ones `config` was read from; reload() compares against them.
    explicit RestSource(RestConfig config, Settings settings = {});
    ~RestSource() override;

    void start(Host& host) override;
    void stop() override;
    std::string health_name() const override { return "rest"; }
    bool healthy() const override { return listening_.load(); }
    // Swaps the tokens and JWT settings in (rest_reload.cpp); other changes need a restart.
    void reload(const Settings& settings) override;

    // The port actually bound (useful when the config asked for port 0).
    std::uint16_t port() const { return port_; }

    // Reloads the TLS certificate, key and client CA from the configured files: new
    // connections use them, established ones keep theirs. Throws std::runtime_error (the
    // old context stays) when the files do not load; does nothing without TLS.
    void reload_tls();

  private:
    RestConfig config_;
    Settings settings_;
    Host* host_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::unique_ptr<RequestDispatcher> dispatcher_;
    std::unique_ptr<HttpReactor> reactor_;
    std::atomic<bool> listening_{false};
    std::uint16_t port_ = 0;
};

// Logs how callers are authenticated; a warning when the API is open on a non-loopback address.
void log_auth_mode(Host& host, const RestConfig& config);

}  // namespace tradestore::rest
