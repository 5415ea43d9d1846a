#include "response_writer.h"

#include <tradestore/read_replicas.h>

#include "read_floor.h"

namespace tradestore::rest {
namespace {

const std::string kContentType = "application/json";
const std::string kRequestIdHeader = "X-Request-ID";

}  // namespace

void send_reply(Poco::Net::HTTPServerResponse& response, const Reply& reply,
                std::string_view request_id, const std::string& body, bool close_connection) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    if (reply.content_type.empty()) {
        response.setContentType(kContentType);
    } else {
        response.setContentType(std::string(reply.content_type));
    }
    response.set(kRequestIdHeader, std::string(request_id));
    if (reply.retry_after) response.set("Retry-After", "1");
    if (!reply.allow.empty()) response.set("Allow", std::string(reply.allow));
    if (!reply.cache_control.empty())
        response.set("Cache-Control", std::string(reply.cache_control));
    if (!reply.authenticate.empty()) {
        response.set("WWW-Authenticate", std::string(reply.authenticate));
    }
    if (reply.idempotent_replayed) response.set("Idempotent-Replayed", "true");
    if (reply.commit_position != 0) {
        response.set(kMinLsnHeader, format_commit_position(reply.commit_position));
    }
    if (close_connection) response.setKeepAlive(false);
    // Sets Content-Length, writes the header and the body; the body is left out for HEAD.
    const std::string& sent = reply.static_body != nullptr ? *reply.static_body : body;
    response.sendBuffer(sent.data(), sent.size());
}

}  // namespace tradestore::rest
