// Sending an answer: Content-Length set and the whole body handed to Poco at once.
#pragma once

#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace tradestore::rest {

// What a handler decided; the body is in the dispatcher's buffer unless `static_body` is set.
struct Reply {
    static constexpr int kNoResponse = 0;  // the client is gone: send nothing, close

    // Implicit on purpose, so that a handler can `return {404};`.
    Reply(int status_code = 200, bool retry = false, std::string_view allowed = {})
        : status(status_code), retry_after(retry), allow(allowed) {}

    int status;
    bool retry_after;                          // adds "Retry-After: 1" (503)
    std::string_view allow;                    // adds "Allow: ..." (405)
    std::string_view content_type;             // empty: application/json
    std::string_view cache_control;            // adds "Cache-Control: ..." when set
    std::string_view authenticate;             // adds "WWW-Authenticate: ..." (401) when set
    bool idempotent_replayed = false;          // adds "Idempotent-Replayed: true"
    std::uint64_t commit_position = 0;         // adds "X-Min-LSN: ..." when not 0
    const std::string* static_body = nullptr;  // sent instead of the buffer (documents, assets)
};

// Sends status, Content-Type, X-Request-ID, the optional headers of the reply and the body.
// With close_connection the connection ends after this answer.
void send_reply(Poco::Net::HTTPServerResponse& response, const Reply& reply,
                std::string_view request_id, const std::string& body, bool close_connection);

}  // namespace tradestore::rest
