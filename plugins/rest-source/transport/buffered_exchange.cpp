#include "buffered_exchange.h"

#include <Poco/Exception.h>

#include "plain_answers.h"

namespace tradestore::rest {

void BufferedResponse::write_head() {
    out_ += getVersion();
    out_ += ' ';
    out_ += std::to_string(static_cast<int>(getStatus()));
    out_ += ' ';
    out_ += getReason();
    out_ += "\r\n";
    if (!has("Date")) {
        out_ += "Date: ";
        out_ += http_date_now();
        out_ += "\r\n";
    }
    for (const auto& [name, value] : *this) {
        out_ += name;
        out_ += ": ";
        out_ += value;
        out_ += "\r\n";
    }
    out_ += "\r\n";
    sent_ = true;
}

std::ostream& BufferedResponse::send() {
    // Without a length the only end a client can see is the connection's.
    if (!hasContentLength() && !getChunkedTransferEncoding()) setKeepAlive(false);
    if (getChunkedTransferEncoding()) {
        // The body goes out as written, not chunk-encoded: frame it by closing instead.
        setChunkedTransferEncoding(false);
        setKeepAlive(false);
    }
    write_head();
    body_stream_.emplace(head_ ? nullptr : &sink_);
    return *body_stream_;
}

void BufferedResponse::sendFile(const std::string&, const std::string&) {
    throw Poco::NotImplementedException("sendFile on a buffered response");
}

void BufferedResponse::sendBuffer(const void* buffer, std::size_t length) {
    setContentLength64(static_cast<Poco::Int64>(length));
    setChunkedTransferEncoding(false);
    write_head();
    if (!head_) out_.append(static_cast<const char*>(buffer), length);
}

void BufferedResponse::redirect(const std::string& uri, HTTPStatus status) {
    setStatusAndReason(status);
    set("Location", uri);
    sendBuffer(nullptr, 0);
}

void BufferedResponse::requireAuthentication(const std::string& realm) {
    setStatusAndReason(HTTP_UNAUTHORIZED);
    set("WWW-Authenticate", "Basic realm=\"" + realm + "\"");
    sendBuffer(nullptr, 0);
}

namespace {

// Sets `request`'s method, URI, version and fields to those `framing` found in `head`.
void build_request(std::string_view head, const Framing& framing, Poco::Net::HTTPRequest& request) {
    // Poco's setters take std::string: these keep their capacity from request to request on
    // each worker, so only the request's own copies allocate.
    thread_local std::string name;
    thread_local std::string value;
    value.assign(framing.method.in(head));
    request.setMethod(value);
    value.assign(framing.target.in(head));
    request.setURI(value);
    value.assign(framing.version.in(head));
    request.setVersion(value);
    for (std::size_t i = 0; i < framing.field_count; ++i) {
        name.assign(framing.fields[i].name(head));
        value.assign(framing.fields[i].value(head));
        request.add(name, value);
    }
}

// Builds the request framed in `head` (body `body`), whose answer goes to `out`, and hands both
// to `serve`, which returns whether the connection may stay open.
template <typename Serve>
bool with_request(const Poco::Net::HTTPServerParams& params, const ConnectionInfo& info,
                  std::string_view head, const Framing& framing, std::string_view body,
                  std::string& out, Serve&& serve) {
    // The response must know whether the request was HEAD before the dispatcher sends.
    BufferedResponse response(out, framing.method.in(head) == "HEAD");
    BufferedRequest parsed(response, info, params);
    build_request(head, framing, parsed);
    parsed.set_body(body);
    response.setVersion(parsed.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0
                            ? Poco::Net::HTTPMessage::HTTP_1_0
                            : Poco::Net::HTTPMessage::HTTP_1_1);
    // Like Poco's server: keep the connection when both the server and the client want to.
    response.setKeepAlive(params.getKeepAlive() && parsed.getKeepAlive());
    return serve(parsed, response);
}

}  // namespace

bool serve_request(RequestHandler& handler, const Poco::Net::HTTPServerParams& params,
                   const ConnectionInfo& info, std::string_view request, const Framing& framing,
                   std::string& decoded_body, std::string& out) {
    out.clear();
    const std::string_view head = request.substr(0, framing.header_bytes);
    std::string_view body = request.substr(framing.header_bytes);
    if (framing.chunked) {
        if (!decode_chunked(body, decoded_body)) {
            append_plain_answer(out, 400, refusal_detail(400, 0, 0), false);
            return false;
        }
        body = decoded_body;
    }
    return with_request(params, info, head, framing, body, out,
                        [&](BufferedRequest& parsed, BufferedResponse& response) {
                            handler.handle(parsed, response);
                            if (!response.sent()) {
                                out.clear();
                                return false;
                            }
                            return response.getKeepAlive();
                        });
}

bool admit_header(RequestHandler& handler, const Poco::Net::HTTPServerParams& params,
                  const ConnectionInfo& info, std::string_view head, const Framing& framing,
                  std::string& out) {
    out.clear();
    bool admitted = false;
    with_request(params, info, head, framing, {}, out,
                 [&](BufferedRequest& parsed, BufferedResponse& response) {
                     admitted = handler.admit_header(parsed, response);
                     return false;
                 });
    if (admitted) out.clear();
    return admitted;
}

}  // namespace tradestore::rest
