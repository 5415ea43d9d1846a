// One request served from memory: the transport hands a worker the bytes of a complete request
// (see http_framing.h), with the request line and fields the framing found; from those a
// BufferedRequest is built (the bytes are not parsed again), the dispatcher
// runs unchanged on the Poco request/response interfaces, and the BufferedResponse writes the
// answer's bytes into a buffer that the transport sends without blocking a worker.
#pragma once

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SocketAddress.h>

#include <istream>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>

#include "http_framing.h"
#include "request_handler.h"

namespace tradestore::rest {

// An istream source over bytes owned elsewhere (no copy).
class ViewStreamBuf final : public std::streambuf {
  public:
    void reset(std::string_view bytes) {
        char* begin = const_cast<char*>(bytes.data());  // read-only: no put area is set
        setg(begin, begin, begin + bytes.size());
    }
};

// An ostream target appending to a string.
class AppendStreamBuf final : public std::streambuf {
  public:
    explicit AppendStreamBuf(std::string& out) : out_(out) {}

  protected:
    int_type overflow(int_type c) override {
        if (!traits_type::eq_int_type(c, traits_type::eof())) out_ += traits_type::to_char_type(c);
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char* data, std::streamsize n) override {
        out_.append(data, static_cast<std::size_t>(n));
        return n;
    }

  private:
    std::string& out_;
};

class BufferedResponse final : public Poco::Net::HTTPServerResponse {
  public:
    BufferedResponse(std::string& out, bool head) : out_(out), head_(head), sink_(out) {}

    void sendContinue() override {}  // the transport has sent 100 Continue already
    std::ostream& send() override;
    void sendFile(const std::string& path, const std::string& media_type) override;
    void sendBuffer(const void* buffer, std::size_t length) override;
    void redirect(const std::string& uri, HTTPStatus status) override;
    void requireAuthentication(const std::string& realm) override;
    bool sent() const override { return sent_; }

  private:
    void write_head();

    std::string& out_;
    bool head_;
    bool sent_ = false;
    AppendStreamBuf sink_;
    std::optional<std::ostream> body_stream_;
};

struct ConnectionInfo {
    Poco::Net::SocketAddress client;
    Poco::Net::SocketAddress server;
    bool secure = false;
};

class BufferedRequest final : public Poco::Net::HTTPServerRequest {
  public:
    BufferedRequest(BufferedResponse& response, const ConnectionInfo& info,
                    const Poco::Net::HTTPServerParams& params)
        : response_(response), info_(info), params_(params), body_stream_(&body_) {}

    void set_body(std::string_view body) {
        body_.reset(body);
        body_stream_.clear();
    }

    std::istream& stream() override { return body_stream_; }
    const Poco::Net::SocketAddress& clientAddress() const override { return info_.client; }
    const Poco::Net::SocketAddress& serverAddress() const override { return info_.server; }
    const Poco::Net::HTTPServerParams& serverParams() const override { return params_; }
    Poco::Net::HTTPServerResponse& response() const override { return response_; }
    bool secure() const override { return info_.secure; }

  private:
    BufferedResponse& response_;
    const ConnectionInfo& info_;
    const Poco::Net::HTTPServerParams& params_;
    ViewStreamBuf body_;
    std::istream body_stream_;
};

// Serves one complete request (`request` is exactly what frame_request framed) and appends the
// answer to `out`. Returns whether the connection may carry another request. `out` left empty
// means the dispatcher chose to send nothing: close at once. `decoded_body` is scratch space
// for a chunked body, reused between calls.
bool serve_request(RequestHandler& handler, const Poco::Net::HTTPServerParams& params,
                   const ConnectionInfo& info, std::string_view request, const Framing& framing,
                   std::string& decoded_body, std::string& out);

// Decides access on `head` (the header of a request whose body is still to come, as framed in
// `framing`) before any of the body is read. True: go on reading (`out` empty). False: `out`
// holds the answer, a 401/403, and the connection must close; `out` empty means close at once.
bool admit_header(RequestHandler& handler, const Poco::Net::HTTPServerParams& params,
                  const ConnectionInfo& info, std::string_view head, const Framing& framing,
                  std::string& out);

}  // namespace tradestore::rest
