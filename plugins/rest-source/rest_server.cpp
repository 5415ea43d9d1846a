#include "rest_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace tradestore::rest {
namespace {

// Connections wait here only until the reactor accepts them (it accepts at once, and answers
// 503 beyond max_connections), so the kernel's queue need not be long.
constexpr int kListenBacklog = 1024;

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
        socket.listen(kListenBacklog);
        return socket;
    } catch (const Poco::Exception& e) {
        // Poco appends the address to a socket error's message; the errno it carries gives the
        // plain reason. Other errors ("Host not found: x") read well as they are.
        const std::string reason =
            e.code() > 0 ? std::system_category().message(e.code()) : e.displayText();
        throw std::runtime_error("rest-source: cannot listen on " + where + ": " + reason);
    }
}

ReactorLimits limits_of(const RestConfig& config) {
    ReactorLimits limits;
    limits.framing.max_header_bytes = config.max_header_bytes;
    limits.framing.max_body_bytes = config.max_body_bytes;
    limits.max_connections = config.max_connections;
    limits.max_in_flight = config.max_in_flight;
    limits.threads = config.threads;
    limits.read_threads = config.read_threads > 0
                              ? config.read_threads
                              : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    limits.request_read_timeout = config.request_read_timeout;
    limits.keep_alive_timeout = config.keep_alive_timeout;
    limits.write_timeout = config.request_timeout;
    limits.handshake_timeout = config.tls.handshake_timeout;
    return limits;
}

// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the client has gone;
// the default action would end the daemon. Leaves a handler someone installed alone.
void ignore_sigpipe() {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
        std::signal(SIGPIPE, SIG_IGN);
    }
}

void warn_if_too_few_descriptors(Host& host, std::size_t max_connections) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
    if (limit.rlim_cur < max_connections + 64) {
        host.log(LogLevel::Warning, "rest-source",
                 "max_connections is " + std::to_string(max_connections) +
                     " but the open files limit is " + std::to_string(limit.rlim_cur) +
                     "; raise it (LimitNOFILE=) or connections will be refused early");
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
    if (reactor_) throw std::runtime_error("rest-source: already started");
    Poco::Net::Context::Ptr tls;
    if (config_.tls.enabled()) {
        tls = make_tls_context(config_.tls);
        ignore_sigpipe();
    }
    Poco::Net::ServerSocket socket = listen_on(config_);
    port_ = socket.address().port();

    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(config_.keep_alive);
    params->setMaxThreads(config_.threads);
    params->setSoftwareVersion("");  // no Server header

    for (const std::string& notice : config_.notices) {
        host.log(LogLevel::Warning, "rest-source", notice);
    }
    warn_if_too_few_descriptors(host, config_.max_connections);
    host_ = &host;
    stopping_ = false;
    dispatcher_ = std::make_unique<RequestDispatcher>(host, config_, stopping_);
    reactor_ = std::make_unique<HttpReactor>(limits_of(config_), host, *dispatcher_, params,
                                             std::move(socket), tls);
    HttpReactor* reactor = reactor_.get();
    RequestMetrics& metrics = dispatcher_->request_metrics();
    dispatcher_->set_before_scrape([reactor, &metrics] {
        metrics.open_connections().set(static_cast<double>(reactor->open_connections()));
        metrics.queued_connections().set(static_cast<double>(reactor->waiting_requests()));
    });
    reactor_->start();
    listening_ = true;
    host.log(LogLevel::Info, "rest-source",
             std::string("rest-source listening on ") + (tls ? "https://" : "http://") +
                 host_and_port(config_.host, port_));
    log_auth_mode(host, config_);
}

void RestSource::stop() {
    if (!reactor_) return;
    listening_ = false;
    stopping_ = true;  // every answer from now on closes its connection
    reactor_->stop(config_.request_timeout);
    reactor_.reset();
    dispatcher_.reset();
}

void RestSource::reload_tls() {
    if (!config_.tls.enabled() || !reactor_) return;
    reactor_->set_tls_context(make_tls_context(config_.tls));
    host_->log(LogLevel::Info, "rest-source", "TLS certificate and keys reloaded");
}

}  // namespace tradestore::rest
