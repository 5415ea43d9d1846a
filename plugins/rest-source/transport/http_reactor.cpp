#include "http_reactor.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "plain_answers.h"

namespace tradestore::rest {
namespace {

using Clock = std::chrono::steady_clock;
using Phase = Connection::Phase;

constexpr std::uint64_t kListenerTag = ~std::uint64_t{0};
constexpr std::uint64_t kWakeTag = kListenerTag - 1;
constexpr auto kSweepInterval = std::chrono::milliseconds(100);
// After an answer that closes the connection, unread input is drained for a while so that
// closing does not reset the connection before the client has read the answer.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kMaxDiscard = 1 << 20;
constexpr std::size_t kInitialBuffer = 4096;
constexpr std::size_t kKeptBuffer = 64 * 1024;  // larger buffers shrink when idle
constexpr std::size_t kMaxAcceptsPerEvent = 256;

std::runtime_error system_failure(const char* what) {
    return std::runtime_error(std::string("rest-source: ") + what + ": " +
                              std::system_category().message(errno));
}

// GET, HEAD and OPTIONS never wait on a commit. The request line was framed, so it is there.
bool only_reads(std::string_view method) {
    return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

}  // namespace

HttpReactor::HttpReactor(ReactorLimits limits, Host& host, RequestHandler& handler,
                         Poco::Net::HTTPServerParams::Ptr params, Poco::Net::ServerSocket listener,
                         Poco::Net::Context::Ptr tls)
    : limits_(limits),
      // A chunked body may carry framing beyond its data; a header may be followed by the
      // start of the next pipelined request.
      max_buffer_(limits.framing.max_header_bytes * 2 + limits.framing.max_body_bytes + 64 * 1024),
      host_(host),
      handler_(handler),
      params_(std::move(params)),
      listener_(std::move(listener)),
      listen_address_(listener_.address()),
      tls_(std::move(tls)),
      scratch_(16 * 1024),
      readers_(limits.read_threads, [this](Connection& connection) { serve(connection); }),
      writers_(limits.threads, [this](Connection& connection) { serve(connection); }) {
    append_plain_answer(overload_answer_, 503, refusal_detail(503, 0, 0), false);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw system_failure("epoll_create1");
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
        ::close(epoll_fd_);
        throw system_failure("eventfd");
    }
    listener_.setBlocking(false);
    epoll_event listen_event{};
    listen_event.events = EPOLLIN;
    listen_event.data.u64 = kListenerTag;
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.u64 = kWakeTag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &listen_event) != 0 ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0) {
        ::close(wake_fd_);
        ::close(epoll_fd_);
        throw system_failure("epoll_ctl");
    }
}

HttpReactor::~HttpReactor() {
    stop(std::chrono::milliseconds(0));
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void HttpReactor::start() {
    thread_ = std::thread([this] { run(); });
}

void HttpReactor::stop(std::chrono::milliseconds grace) {
    if (thread_.joinable()) {
        grace_ms_.store(grace.count());
        stop_requested_.store(true);
        const std::uint64_t one = 1;
        [[maybe_unused]] const ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    // Handlers still running past the grace period finish before anything is torn down.
    readers_.stop();
    writers_.stop();
    connections_.clear();
    open_.store(0);
}

void HttpReactor::set_tls_context(Poco::Net::Context::Ptr tls) {
    std::lock_guard lock(tls_mutex_);
    tls_ = std::move(tls);
}

void HttpReactor::run() {
    std::array<epoll_event, 128> events{};
    now_ = Clock::now();
    next_sweep_ = now_ + kSweepInterval;
    while (true) {
        const int ready = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                     static_cast<int>(kSweepInterval.count()));
        if (ready < 0 && errno != EINTR) {
            host_.log(LogLevel::Error, "rest-source",
                      "epoll_wait: " + std::system_category().message(errno));
            break;
        }
        now_ = Clock::now();
        for (int i = 0; i < ready; ++i) {
            const std::uint64_t tag = events[static_cast<std::size_t>(i)].data.u64;
            if (tag == kListenerTag) {
                accept_all();
            } else if (tag == kWakeTag) {
                std::uint64_t count = 0;
                [[maybe_unused]] const ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
                collect_answers();
            } else if (tag < connections_.size() && connections_[tag]) {
                on_event(*connections_[tag]);
            }
        }
        if (now_ >= next_sweep_) {
            sweep();
            next_sweep_ = now_ + kSweepInterval;
        }
        if (stop_requested_.load()) {
            if (!stopping_) begin_stop();
            if (open_.load() == 0) break;
            if (now_ >= stop_deadline_) {
                host_.log(LogLevel::Warning, "rest-source",
                          "requests still running after request_timeout; closing their "
                          "connections");
                break;
            }
        }
    }
    // What is left is either being served by a worker (closed in stop(), after the workers
    // have finished) or can go now.
    for (auto& connection : connections_) {
        if (connection && connection->phase != Phase::Working) close(*connection);
    }
}

void HttpReactor::accept_all() {
    for (std::size_t i = 0; i < kMaxAcceptsPerEvent; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = accept4(listener_.impl()->sockfd(), reinterpret_cast<sockaddr*>(&address),
                               &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: a level-triggered listener would wake us for ever, so
                // it pauses until the next sweep; the warning comes at most once a minute.
                if (now_ >= next_accept_warning_) {
                    host_.log(
                        LogLevel::Warning, "rest-source",
                        "cannot accept connections: " + std::system_category().message(errno) +
                            "; raise the open files limit or lower max_connections");
                    next_accept_warning_ = now_ + std::chrono::minutes(1);
                }
                pause_listener();
            }
            return;
        }
        if (open_.load(std::memory_order_relaxed) >= limits_.max_connections) {
            refuse_connection(fd);
            continue;
        }
        const int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        Poco::Net::Context::Ptr tls;
        {
            std::lock_guard lock(tls_mutex_);
            tls = tls_;
        }
        std::unique_ptr<Connection> connection;
        try {
            connection = std::make_unique<Connection>(
                fd,
                ConnectionInfo{
                    Poco::Net::SocketAddress(reinterpret_cast<sockaddr*>(&address), length),
                    listen_address_, !tls.isNull()},
                tls);
        } catch (const std::exception& e) {
            host_.log(LogLevel::Warning, "rest-source",
                      std::string("connection dropped: ") + e.what());
            continue;
        }
        connection->deadline =
            now_ + (!tls.isNull() ? limits_.handshake_timeout : limits_.request_read_timeout);
        epoll_event event{};
        event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        event.data.u64 = static_cast<std::uint64_t>(fd);
        if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) continue;  // closes fd
        if (connections_.size() <= static_cast<std::size_t>(fd)) {
            connections_.resize(static_cast<std::size_t>(fd) + 1);
        }
        connections_[static_cast<std::size_t>(fd)] = std::move(connection);
        open_.fetch_add(1, std::memory_order_relaxed);
    }
}

void HttpReactor::refuse_connection(int fd) {
    // Read what the client has sent already, so that closing does not reset the connection
    // under the answer; then one non-blocking send and close. On a TLS port a plain answer
    // would mean nothing: just close.
    const bool tls = [this] {
        std::lock_guard lock(tls_mutex_);
        return !tls_.isNull();
    }();
    if (!tls) {
        [[maybe_unused]] const ssize_t got =
            ::recv(fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
        [[maybe_unused]] const ssize_t sent = ::send(
            fd, overload_answer_.data(), overload_answer_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
    }
    ::close(fd);
}

void HttpReactor::on_event(Connection& connection) {
    // Edge-triggered: every handler below works until the socket would block.
    switch (connection.phase) {
        case Phase::Handshake:
            continue_handshake(connection);
            break;
        case Phase::Reading:
            read_more(connection);
            break;
        case Phase::Working:
            break;  // read again once the answer is out
        case Phase::Writing:
            write_more(connection);
            break;
        case Phase::Draining:
            drain(connection);
            break;
    }
}

void HttpReactor::continue_handshake(Connection& connection) {
    switch (connection.handshake()) {
        case IoStatus::Progress:
            connection.phase = Phase::Reading;
            connection.deadline = now_ + limits_.request_read_timeout;
            read_more(connection);
            break;
        case IoStatus::WouldBlock:
            break;
        case IoStatus::Closed:
            if (host_.log_enabled(LogLevel::Debug)) {
                host_.log(LogLevel::Debug, "rest-source",
                          "TLS handshake with " + connection.info.client.toString() +
                              " failed: " + connection.tls_error());
            }
            close(connection);
            break;
    }
}

void HttpReactor::read_more(Connection& connection) {
    while (!connection.peer_closed) {
        std::vector<char>& in = connection.in;
        if (connection.in_used == in.size()) {
            if (in.size() >= max_buffer_) break;  // frame_next refuses what cannot fit
            in.resize(std::min(max_buffer_, std::max(kInitialBuffer, in.size() * 2)));
        }
        const IoResult got =
            connection.receive(in.data() + connection.in_used, in.size() - connection.in_used);
        if (got.status == IoStatus::WouldBlock) break;
        if (got.status == IoStatus::Closed) {
            if (connection.in_used == 0) {
                close(connection);
                return;
            }
            connection.peer_closed = true;  // answer what has arrived, then close
            break;
        }
        // The whole-request deadline runs from a request's first byte.
        if (connection.in_used == 0) connection.deadline = now_ + limits_.request_read_timeout;
        connection.in_used += got.bytes;
        // Stop at the end of the header: frame_next decides access before the body is read.
        if (!connection.header_checked) {
            const Framing framing = frame_request(
                std::string_view(connection.in.data(), connection.in_used), limits_.framing);
            if (framing.header_bytes > 0 || framing.state != Framing::State::Incomplete) break;
        }
    }
    frame_next(connection);
}

void HttpReactor::frame_next(Connection& connection) {
    if (connection.in_used == 0) return;
    const std::string_view bytes(connection.in.data(), connection.in_used);
    // The last answer lets a chunked body be walked on rather than from its start each read.
    const Framing framing = frame_request(bytes, limits_.framing, &connection.framing);
    connection.framing = framing;
    switch (framing.state) {
        case Framing::State::Incomplete:
            if (connection.peer_closed) {
                close(connection);
            } else if (framing.header_bytes > 0 && !connection.header_checked) {
                connection.header_checked = true;
                // read_more stopped at the header; a caller admitted is read on.
                if (admit_header(connection)) read_more(connection);
            } else if (connection.in_used >= max_buffer_) {
                refuse_request(connection, framing.header_bytes == 0 ? 431 : 413);
            } else if (framing.expect_continue && !connection.continue_sent) {
                connection.continue_sent = true;
                // 25 bytes on a connection with nothing else to send: a partial write means
                // the client is not reading at all.
                const IoResult sent =
                    connection.send(kContinueAnswer.data(), kContinueAnswer.size());
                if (sent.status != IoStatus::Progress || sent.bytes != kContinueAnswer.size()) {
                    close(connection);
                }
            }
            return;
        case Framing::State::Refused:
            refuse_request(connection, framing.status);
            return;
        case Framing::State::Complete:
            if (in_flight_ >= limits_.max_in_flight || stopping_) {
                refuse_request(connection, 503);
                return;
            }
            dispatch(connection);
            return;
    }
}

void HttpReactor::refuse_request(Connection& connection, int status) {
    handler_.count_refusal(status);
    connection.out.clear();
    append_plain_answer(
        connection.out, status,
        refusal_detail(status, limits_.framing.max_header_bytes, limits_.framing.max_body_bytes),
        false);
    answer_and_close(connection);
}

bool HttpReactor::admit_header(Connection& connection) {
    bool admitted = true;
    try {
        admitted = rest::admit_header(
            handler_, *params_, connection.info,
            std::string_view(connection.in.data(), connection.framing.header_bytes),
            connection.framing, connection.out);
    } catch (const std::exception& e) {
        // Nothing expected (memory): the worker decides once the body is here, as it did.
        connection.out.clear();
        host_.log(LogLevel::Warning, "rest-source",
                  std::string("access not checked on the header: ") + e.what());
    }
    if (admitted) return true;
    if (connection.out.empty()) {
        close(connection);
    } else {
        answer_and_close(connection);
    }
    return false;
}

void HttpReactor::answer_and_close(Connection& connection) {
    connection.in_used = 0;  // nothing after a refused request can be trusted
    connection.framing = Framing{};
    connection.close_after = true;
    start_write(connection);
}

void HttpReactor::dispatch(Connection& connection) {
    connection.phase = Phase::Working;
    ++in_flight_;
    const std::string_view bytes(connection.in.data(), connection.framing.header_bytes);
    (only_reads(connection.framing.method.in(bytes)) ? readers_ : writers_).submit(connection);
}

void HttpReactor::serve(Connection& connection) {
    thread_local std::string decoded_body;
    bool keep_alive = false;
    try {
        keep_alive =
            serve_request(handler_, *params_, connection.info,
                          std::string_view(connection.in.data(), connection.framing.request_bytes),
                          connection.framing, decoded_body, connection.out);
    } catch (const std::exception& e) {
        // The dispatcher maps handler failures itself; this is anything it could not (memory).
        connection.out.clear();
        append_plain_answer(connection.out, 500, "Internal server error", false);
        host_.log(LogLevel::Error, "rest-source", std::string("request failed: ") + e.what());
    }
    connection.keep_alive = keep_alive;
    if (decoded_body.capacity() > kKeptBuffer) std::string().swap(decoded_body);
    {
        std::lock_guard lock(done_mutex_);
        done_.push_back(&connection);
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
}

void HttpReactor::collect_answers() {
    answered_.clear();
    {
        std::lock_guard lock(done_mutex_);
        answered_.swap(done_);
    }
    for (Connection* connection : answered_) answer_ready(*connection);
}

void HttpReactor::answer_ready(Connection& connection) {
    --in_flight_;
    if (connection.out.empty()) {  // the dispatcher chose not to answer
        close(connection);
        return;
    }
    // The served request leaves the buffer; a pipelined one behind it moves to the front.
    const std::size_t served = connection.framing.request_bytes;
    std::memmove(connection.in.data(), connection.in.data() + served, connection.in_used - served);
    connection.in_used -= served;
    connection.framing = Framing{};  // the next request is framed from its start
    connection.close_after = !connection.keep_alive || connection.peer_closed || stopping_;
    start_write(connection);
}

void HttpReactor::start_write(Connection& connection) {
    connection.phase = Phase::Writing;
    connection.out_sent = 0;
    connection.deadline = now_ + limits_.write_timeout;
    write_more(connection);
}

void HttpReactor::write_more(Connection& connection) {
    while (connection.out_sent < connection.out.size()) {
        const IoResult sent = connection.send(connection.out.data() + connection.out_sent,
                                              connection.out.size() - connection.out_sent);
        if (sent.status == IoStatus::WouldBlock) return;  // EPOLLOUT will bring us back
        if (sent.status == IoStatus::Closed) {
            close(connection);
            return;
        }
        connection.out_sent += sent.bytes;
    }
    after_write(connection);
}

void HttpReactor::after_write(Connection& connection) {
    connection.out.clear();
    if (connection.out.capacity() > kKeptBuffer) std::string().swap(connection.out);
    if (connection.close_after) {
        begin_linger(connection);
        return;
    }
    connection.phase = Phase::Reading;
    connection.continue_sent = false;
    connection.header_checked = false;
    if (connection.in_used == 0) {
        connection.deadline = now_ + limits_.keep_alive_timeout;
        if (connection.in.size() > kKeptBuffer) std::vector<char>().swap(connection.in);
    } else {
        connection.deadline = now_ + limits_.request_read_timeout;
    }
    read_more(connection);  // also picks up TLS records OpenSSL has buffered already
}

void HttpReactor::begin_linger(Connection& connection) {
    connection.shutdown_write();
    connection.phase = Phase::Draining;
    // While stopping, lingering must not outlast the stop's own deadline.
    connection.deadline =
        stopping_ ? std::min(now_ + kLingerTime, stop_deadline_) : now_ + kLingerTime;
    connection.discarded = 0;
    std::vector<char>().swap(connection.in);
    connection.in_used = 0;
    connection.framing = Framing{};
    drain(connection);
}

void HttpReactor::drain(Connection& connection) {
    while (true) {
        const IoResult got = connection.discard_input(scratch_.data(), scratch_.size());
        if (got.status == IoStatus::WouldBlock) return;
        connection.discarded += got.bytes;
        if (got.status == IoStatus::Closed || connection.discarded > kMaxDiscard) {
            close(connection);
            return;
        }
    }
}

void HttpReactor::close(Connection& connection) {
    const auto fd = static_cast<std::size_t>(connection.fd());
    // Closing the descriptor removes it from the epoll set.
    connections_[fd].reset();
    open_.fetch_sub(1, std::memory_order_relaxed);
}

void HttpReactor::sweep() {
    if (listener_paused_ && !stopping_) resume_listener();
    for (auto& slot : connections_) {
        if (!slot) continue;
        Connection& connection = *slot;
        if (connection.phase == Phase::Working || now_ < connection.deadline) continue;
        if (connection.phase == Phase::Reading && connection.in_used > 0) {
            refuse_request(connection, 408);  // a request that never finished arriving
        } else {
            close(connection);
        }
    }
}

void HttpReactor::begin_stop() {
    stopping_ = true;
    stop_deadline_ = now_ + std::chrono::milliseconds(grace_ms_.load());
    if (!listener_paused_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener_.impl()->sockfd(), nullptr);
    listener_paused_ = true;
    listener_.close();
    for (auto& slot : connections_) {
        if (!slot) continue;
        Connection& connection = *slot;
        switch (connection.phase) {
            case Phase::Working:
                break;  // closes after its answer (stopping_)
            case Phase::Writing:
                connection.close_after = true;
                break;
            default:
                close(connection);
                break;  // idle, half-read, handshaking or draining
        }
    }
}

void HttpReactor::pause_listener() {
    if (listener_paused_) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener_.impl()->sockfd(), nullptr);
    listener_paused_ = true;
}

void HttpReactor::resume_listener() {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerTag;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listener_.impl()->sockfd(), &event) == 0) {
        listener_paused_ = false;
    }
}

}  // namespace tradestore::rest
