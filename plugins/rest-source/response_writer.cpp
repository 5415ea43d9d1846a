#include "response_writer.h"

namespace tradestore::rest {
namespace {

const std::string kContentType = "application/json";
const std::string kRequestIdHeader = "X-Request-ID";

}  // namespace

void send_reply(Poco::Net::HTTPServerResponse& response, const Reply& reply,
                std::string_view request_id, const std::string& body, bool close_connection) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType(kContentType);
    response.set(kRequestIdHeader, std::string(request_id));
    if (reply.retry_after) response.set("Retry-After", "1");
    if (!reply.allow.empty()) response.set("Allow", std::string(reply.allow));
    if (close_connection) response.setKeepAlive(false);
    // Sets Content-Length, writes the header and the body; the body is left out for HEAD.
    response.sendBuffer(body.data(), body.size());
}

}  // namespace tradestore::rest
