// The rest-source's transport: one thread with Linux epoll (edge-triggered, non-blocking
// sockets) accepts connections, reads each request until it is complete, and hands only
// complete requests to the worker pool; workers give the answer's bytes back and the reactor
// writes them. A slow client therefore holds a few kilobytes of buffer, never a thread, and
// every limit is enforced before a handler runs:
//   - the header within max_header_bytes (431), the body within max_body_bytes (413);
//   - once the header is in and a body is to come, the route's access is decided on this
//     thread (401/403, close) before any more of the body is read or 100 Continue is sent;
//   - the whole request within request_read_timeout (408, close); idle keep-alive
//     connections close after keep_alive_timeout; an answer not taken by the client within
//     write_timeout closes the connection; a TLS handshake has handshake_timeout;
//   - beyond max_connections a new connection gets 503 + Retry-After and is closed at once;
//     beyond max_in_flight requests (running or waiting for a worker) a request gets 503.
// Graceful stop: no new connections, idle ones closed, requests in flight answered (with
// Connection: close), all within the grace period given to stop().
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <tradestore/host.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "http_framing.h"
#include "request_handler.h"
#include "worker_pool.h"

namespace tradestore::rest {

struct ReactorLimits {
    FramingLimits framing;
    std::size_t max_connections = 1024;
    std::size_t max_in_flight = 256;
    int threads = 16;      // for requests that may wait on the store's commit
    int read_threads = 2;  // for GET, HEAD and OPTIONS
    std::chrono::milliseconds request_read_timeout{10'000};
    std::chrono::milliseconds keep_alive_timeout{10'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds handshake_timeout{10'000};
};

class HttpReactor {
  public:
    HttpReactor(ReactorLimits limits, Host& host, RequestHandler& handler,
                Poco::Net::HTTPServerParams::Ptr params, Poco::Net::ServerSocket listener,
                Poco::Net::Context::Ptr tls);
    ~HttpReactor();
    HttpReactor(const HttpReactor&) = delete;
    HttpReactor& operator=(const HttpReactor&) = delete;

    void start();
    // Returns when every connection is closed and no worker runs a handler.
    void stop(std::chrono::milliseconds grace);

    // New connections use this context from now on; existing ones keep theirs.
    void set_tls_context(Poco::Net::Context::Ptr tls);

    std::size_t open_connections() const { return open_.load(std::memory_order_relaxed); }
    std::size_t waiting_requests() const { return readers_.waiting() + writers_.waiting(); }

  private:
    void run();
    void accept_all();
    void refuse_connection(int fd);
    void on_event(Connection& connection);
    void continue_handshake(Connection& connection);
    void read_more(Connection& connection);
    void frame_next(Connection& connection);
    void refuse_request(Connection& connection, int status);
    bool admit_header(Connection& connection);
    void answer_and_close(Connection& connection);
    void dispatch(Connection& connection);
    void serve(Connection& connection);  // on a worker thread
    void collect_answers();
    void answer_ready(Connection& connection);
    void start_write(Connection& connection);
    void write_more(Connection& connection);
    void after_write(Connection& connection);
    void begin_linger(Connection& connection);
    void drain(Connection& connection);
    void close(Connection& connection);
    void sweep();
    void begin_stop();
    void pause_listener();
    void resume_listener();

    const ReactorLimits limits_;
    const std::size_t max_buffer_;  // per connection: a request of the largest allowed shape
    Host& host_;
    RequestHandler& handler_;
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::ServerSocket listener_;
    Poco::Net::SocketAddress listen_address_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;  // eventfd: answers ready, or stop requested

    std::mutex tls_mutex_;
    Poco::Net::Context::Ptr tls_;

    // Reactor thread only.
    std::vector<std::unique_ptr<Connection>> connections_;  // by file descriptor
    std::size_t in_flight_ = 0;
    bool listener_paused_ = false;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point now_;
    std::chrono::steady_clock::time_point next_sweep_;
    std::chrono::steady_clock::time_point stop_deadline_;
    std::chrono::steady_clock::time_point next_accept_warning_;
    std::vector<Connection*> answered_;  // swapped with done_ under done_mutex_
    std::vector<char> scratch_;          // discarded input
    std::string overload_answer_;        // 503 for connections beyond max_connections

    std::atomic<std::size_t> open_{0};
    std::atomic<bool> stop_requested_{false};
    std::atomic<long long> grace_ms_{0};

    std::mutex done_mutex_;
    std::vector<Connection*> done_;

    // Two pools, because a write handler holds its thread until the store's group commit is
    // durable (milliseconds), while a read takes microseconds: writes want many threads to
    // fill a commit, reads want about one per core, since every extra sleeping thread costs a
    // wake-up and a context switch per request (GET throughput fell by a third with 40).
    WorkerPool readers_;
    WorkerPool writers_;
    std::thread thread_;
};

}  // namespace tradestore::rest
