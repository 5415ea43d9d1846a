// One client connection as the reactor sees it: a non-blocking socket, optionally wrapped in
// TLS (OpenSSL driven directly: Poco's SecureStreamSocket blocks), and the state of the
// request on it. The reactor thread owns every field, except that while `phase` is Working
// the one worker serving the request owns `in`, `framing`, `out` and `keep_alive`; the hand-off
// in both directions goes through a mutex-guarded queue, which orders the accesses.
#pragma once

#include <Poco/Net/Context.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "buffered_exchange.h"
#include "http_framing.h"

namespace tradestore::rest {

enum class IoStatus : unsigned char { Progress, WouldBlock, Closed };

struct IoResult {
    IoStatus status;
    std::size_t bytes = 0;
};

class Connection {
  public:
    enum class Phase : unsigned char {
        Handshake,  // TLS handshake in progress
        Reading,    // waiting for (the rest of) a request, or idle between requests
        Working,    // a worker serves the request
        Writing,    // sending the answer
        Draining,   // answer sent, write side shut: discarding input until the client closes
    };

    // Takes ownership of `fd`; with a TLS context the connection starts in Handshake.
    Connection(int fd, ConnectionInfo info, const Poco::Net::Context::Ptr& tls);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    int fd() const { return fd_; }
    bool tls() const { return ssl_ != nullptr; }

    // Progress: the handshake is done. WouldBlock: wait for the socket. Closed: it failed.
    IoStatus handshake();
    IoResult receive(char* data, std::size_t size);
    IoResult send(const char* data, std::size_t size);
    // Sends TLS close_notify (best effort) and shuts the socket's write side.
    void shutdown_write();
    // Reads and discards raw bytes (after shutdown_write); the count, or WouldBlock/Closed.
    IoResult discard_input(char* scratch, std::size_t size);
    // Why the last TLS operation failed, for a debug log.
    std::string tls_error() const;

    Phase phase = Phase::Reading;
    std::chrono::steady_clock::time_point deadline;
    std::vector<char> in;     // bytes received, the current request first
    std::size_t in_used = 0;  // of `in`
    Framing framing;          // of the request being read, then handed to the worker
    std::string out;          // the answer being sent
    std::size_t out_sent = 0;
    bool keep_alive = false;      // the worker's verdict on the answer it wrote
    bool close_after = false;     // close once `out` is sent
    bool continue_sent = false;   // 100 Continue already sent for the current request
    bool header_checked = false;  // access decided on the current request's header
    bool peer_closed = false;     // the client shut its write side
    std::size_t discarded = 0;    // bytes dropped while Draining
    ConnectionInfo info;

  private:
    IoResult ssl_result(int returned);

    int fd_;
    Poco::Net::Context::Ptr context_;  // keeps the SSL_CTX alive while this SSL uses it
    SSL* ssl_ = nullptr;
    unsigned long last_error_ = 0;
};

}  // namespace tradestore::rest
