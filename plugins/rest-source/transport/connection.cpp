#include "connection.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace tradestore::rest {
namespace {

IoResult from_syscall(ssize_t returned) {
    if (returned > 0) return {IoStatus::Progress, static_cast<std::size_t>(returned)};
    if (returned < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return {IoStatus::WouldBlock};
    }
    return {IoStatus::Closed};
}

}  // namespace

Connection::Connection(int fd, ConnectionInfo connection_info, const Poco::Net::Context::Ptr& tls)
    : info(std::move(connection_info)), fd_(fd), context_(tls) {
    if (!context_) return;
    ssl_ = SSL_new(context_->sslContext());
    if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
        if (ssl_ != nullptr) SSL_free(ssl_);
        ::close(fd_);
        throw std::runtime_error("cannot create a TLS session");
    }
    // The answer buffer stays put while a write is retried, but its unsent tail is what we
    // pass, so partial writes must be allowed and the pointer may move.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_accept_state(ssl_);
    phase = Phase::Handshake;
}

Connection::~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
}

IoResult Connection::ssl_result(int returned) {
    if (returned > 0) return {IoStatus::Progress, static_cast<std::size_t>(returned)};
    const int error = SSL_get_error(ssl_, returned);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        return {IoStatus::WouldBlock};
    }
    last_error_ = ERR_peek_last_error();
    ERR_clear_error();  // the error queue is per thread: leave it clean for the next user
    return {IoStatus::Closed};
}

IoStatus Connection::handshake() {
    ERR_clear_error();
    const int returned = SSL_do_handshake(ssl_);
    if (returned == 1) return IoStatus::Progress;
    return ssl_result(returned).status;
}

IoResult Connection::receive(char* data, std::size_t size) {
    if (ssl_ == nullptr) return from_syscall(::recv(fd_, data, size, 0));
    ERR_clear_error();
    return ssl_result(SSL_read(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30))));
}

IoResult Connection::send(const char* data, std::size_t size) {
    if (ssl_ == nullptr) return from_syscall(::send(fd_, data, size, MSG_NOSIGNAL));
    ERR_clear_error();
    return ssl_result(
        SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 30))));
}

void Connection::shutdown_write() {
    if (ssl_ != nullptr && SSL_is_init_finished(ssl_) == 1) {
        ERR_clear_error();
        SSL_shutdown(ssl_);  // one close_notify; we do not wait for the client's
        ERR_clear_error();
    }
    ::shutdown(fd_, SHUT_WR);
}

IoResult Connection::discard_input(char* scratch, std::size_t size) {
    return from_syscall(::recv(fd_, scratch, size, 0));
}

std::string Connection::tls_error() const {
    if (last_error_ == 0) return "connection closed";
    char text[256];
    ERR_error_string_n(last_error_, text, sizeof text);
    return text;
}

}  // namespace tradestore::rest
