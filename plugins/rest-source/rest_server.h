// The rest-source: a Poco HTTPServer over the request dispatcher.
//
// Lifecycle: start() binds and listens, or throws std::runtime_error with one line. stop()
// stops accepting connections, lets every connection finish the request it is serving (its
// answer fully sent, with Connection: close) and closes idle keep-alive connections; after
// request_timeout it aborts whatever is left. It then joins every worker, so no request
// touches the Host after stop() returns.
#pragma once

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <tradestore/source.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "request_dispatcher.h"
#include "rest_config.h"

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

  private:
    RestConfig config_;
    Settings settings_;
    Host* host_ = nullptr;
    std::atomic<bool> stopping_{false};
    std::unique_ptr<RequestDispatcher> dispatcher_;
    std::unique_ptr<Poco::ThreadPool> pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    std::atomic<bool> listening_{false};
    std::uint16_t port_ = 0;
};

// Logs how callers are authenticated; a warning when the API is open on a non-loopback address.
void log_auth_mode(Host& host, const RestConfig& config);

}  // namespace tradestore::rest
