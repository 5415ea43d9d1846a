// The connection to tradestored: plain HTTP for http:// URLs, TLS for https:// ones (the
// server's certificate checked against --cacert, or the system's CAs, and its name; never a
// fallback to plain HTTP), and the bearer token on every request. A 401 or 403 ends the run:
// send() throws AccessRefused, so nothing more is sent after it.
#pragma once

#include <Poco/Net/HTTPClientSession.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace tradestore::ctl {

struct Answer {
    int status = 0;
    std::string body;
    std::string retry_after;
};

// The server refused the token (401) or its role (403); what() is one line saying what to do.
class AccessRefused : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The connection could not be made (refused, TLS handshake, certificate): one line.
class ConnectionFailed : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ClientSettings {
    std::string url;
    std::string token;
    std::string cacert;  // PEM file of the CA that signed the server's certificate
};

class Client {
  public:
    explicit Client(const ClientSettings& settings);  // UsageError for a bad URL
    Answer send(const std::string& method, const std::string& path, const std::string& body = {},
                const std::string& idempotency_key = {});

  private:
    Answer exchange(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& idempotency_key);

    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::string base_path_;  // the URL's path, for a server behind a prefix
    std::string authority_;  // host:port, for messages
    bool tls_ = false;
    bool cacert_given_ = false;
    std::string token_;
};

// The server's "detail" of an error answer, or the start of its body.
std::string detail_of(const Answer& answer);

}  // namespace tradestore::ctl
