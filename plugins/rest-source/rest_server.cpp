#include "rest_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <system_error>

namespace tradestore::rest {
namespace {

// Large, but finite: in Poco a connection holds its worker thread until it closes, so an
// occasional reconnect lets queued connections have a turn.
constexpr int kMaxKeepAliveRequests = 10'000;

std::string host_and_port(const std::string& host, std::uint16_t port) {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Poco::Net::ServerSocket listen_on(const RestConfig& config) {
    const std::string where = host_and_port(config.host, config.port);
    try {
        Poco::Net::ServerSocket socket;
        // SO_REUSEADDR for quick restarts, but not SO_REUSEPORT: a second daemon on the same
        // port must fail here rather than share it.
        socket.bind(Poco::Net::SocketAddress(config.host, config.port), true, false);
        socket.listen(std::max(64, config.max_queued));
        return socket;
    } catch (const Poco::Exception& e) {
        // Poco appends the address to a socket error's message; the errno it carries gives the
        // plain reason. Other errors ("Host not found: x") read well as they are.
        const std::string reason =
            e.code() > 0 ? std::system_category().message(e.code()) : e.displayText();
        throw std::runtime_error("rest-source: cannot listen on " + where + ": " + reason);
    }
}

}  // namespace

RestSource::RestSource(RestConfig config, Settings settings)
    : config_(std::move(config)), settings_(std::move(settings)) {}

RestSource::~RestSource() {
    try {
        stop();
    } catch (...) {
        // A destructor must not throw; stop() already did what it could.
    }
}

void RestSource::start(Host& host) {
    if (server_) throw std::runtime_error("rest-source: already started");
    Poco::Net::ServerSocket socket = listen_on(config_);
    port_ = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(config_.threads);
    params->setMaxQueued(config_.max_queued);
    params->setKeepAlive(config_.keep_alive);
    params->setMaxKeepAliveRequests(kMaxKeepAliveRequests);
    const Poco::Timespan timeout(
        static_cast<Poco::Timespan::TimeDiff>(config_.request_timeout.count() * 1000));
    params->setTimeout(timeout);
    params->setSoftwareVersion("");  // no Server header

    host_ = &host;
    stopping_ = false;
    dispatcher_ = std::make_unique<RequestDispatcher>(host, config_, stopping_);
    pool_ = std::make_unique<Poco::ThreadPool>(1, config_.threads);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*dispatcher_), *pool_,
                                                      socket, params);
    Poco::Net::HTTPServer* server = server_.get();
    RequestMetrics& metrics = dispatcher_->request_metrics();
    dispatcher_->set_before_scrape([server, &metrics] {
        metrics.open_connections().set(static_cast<double>(server->currentConnections()));
        metrics.queued_connections().set(static_cast<double>(server->queuedConnections()));
    });
    server_->start();
    listening_ = true;
    host.log(LogLevel::Info, "rest-source",
             "rest-source listening on http://" + host_and_port(config_.host, port_));
    log_auth_mode(host, config_);
}

void RestSource::stop() {
    if (!server_) return;
    listening_ = false;
    stopping_ = true;
    server_->stop();  // no new connections; queued ones are dropped
    // Poco's graceful stop waits, connection by connection, until the request being served is
    // answered and flushed (Poco flushes an answer only after the handler returns, so counting
    // handlers would not do), then closes the connection; idle ones close at once.
    auto graceful = std::async(std::launch::async, [this] { server_->stopAll(false); });
    if (graceful.wait_for(config_.request_timeout) == std::future_status::timeout) {
        host_->log(LogLevel::Warning, "rest-source",
                   "requests still running after request_timeout; closing their connections");
        server_->stopAll(true);
    }
    try {
        graceful.get();
    } catch (const std::exception& e) {
        host_->log(LogLevel::Warning, "rest-source", std::string("stopping: ") + e.what());
    }
    pool_->joinAll();
    server_.reset();
    pool_.reset();
    dispatcher_.reset();
}

}  // namespace tradestore::rest
