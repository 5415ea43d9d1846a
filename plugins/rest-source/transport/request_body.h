// Reading a request body within the configured limit, chunked or not.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tradestore::rest {

enum class BodyRead : std::uint8_t {
    Complete,  // `out` holds the whole body (possibly empty)
    TooLarge,  // over the limit by Content-Length, or while reading a chunked body
    Broken,    // the client closed, timed out or sent a broken chunked encoding
};

// Clears `out`, then reads the body into it. A request without Content-Length and not
// chunked has no body (RFC 9112), so nothing is read.
BodyRead read_body(Poco::Net::HTTPServerRequest& request, std::size_t max_bytes, std::string& out);

// True when the request carries a body (Content-Length > 0 or chunked).
bool has_body(const Poco::Net::HTTPServerRequest& request);

}  // namespace tradestore::rest
