// Where one HTTP/1.x request ends in the bytes received so far. The reactor asks after every
// read, so the header and body limits hold before any worker, parser or handler sees a byte;
// workers then parse only requests known to be complete. Pure functions, no I/O.
//
// One parser for every request (issue 19), decided, not yet done: today a complete request is
// read twice, here and then by Poco's HTTPRequest::read (buffered_exchange.cpp). We keep this
// layer and build the request from its result, rather than move to Boost.Beast's parser:
//   - this layer already walks every header line and holds every limit and smuggling refusal,
//     with its tests and the http_request fuzz harness; building the Poco request from what it
//     found (setMethod, setURI, setVersion, add) drops Poco's parse, its exception-to-400 path
//     and the "Poco would read it differently" refusals, and leaves one set of rules, here;
//   - Beast (Boost 1.74 in Debian 12) would replace this file but reads edge shapes its own way
//     (CRLF only, where bare LF lines are accepted now; its own answers to other transfer
//     codings, duplicate lengths, folded lines), so every refusal would be decided again, and
//     the dispatcher and handlers speak Poco's HTTPServerRequest/Response: Beast's message
//     would still be turned into one, so it adds code rather than removing it.
// Plan: Framing records the request line's tokens and each field as offsets; Poco's limits
// become checks here with the same 400 (method 32, URI 16 KiB, version 8 bytes, field name
// 256, value 8 KiB, 100 fields) with tests that pass before the switch; for a while the fuzz
// harness checks that the built request equals Poco's parse (or both refuse); then Poco's
// parse goes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tradestore::rest {

struct FramingLimits {
    std::size_t max_header_bytes = 16 * 1024;  // request line and header fields
    std::size_t max_body_bytes = 1024 * 1024;  // body as delivered (after chunked decoding)
};

struct Framing {
    enum class State : unsigned char {
        Incomplete,  // read more
        Complete,    // request_bytes hold exactly one request
        Refused,     // answer `status` and close
    };
    State state = State::Incomplete;
    int status = 0;                 // Refused: 400, 413, 417, 431 or 501
    std::size_t header_bytes = 0;   // through the blank line (once found)
    std::size_t request_bytes = 0;  // Complete: headers and body as sent
    bool chunked = false;           // Transfer-Encoding: chunked
    bool expect_continue = false;   // Expect: 100-continue and the body has not all arrived
    // Incomplete and chunked: where the next chunk-size line starts (from the body's start)
    // and the data bytes before it, so the next call need not walk the chunks again.
    std::size_t chunk_resume = 0;
    std::size_t chunk_total = 0;
};

// Frames the request at the start of `bytes` (anything after it is the next, pipelined one).
// `previous` is this function's last answer for the same request, when `bytes` has only grown
// since: an Incomplete chunked body is then walked on from where that call stopped, so a body
// that arrives in many small pieces costs time in proportion to its size, not its square.
Framing frame_request(std::string_view bytes, const FramingLimits& limits,
                      const Framing* previous = nullptr);

// Decodes the chunked body `body` (the bytes after the header of a request framed Complete)
// into `out`. Returns false when it is malformed (frame_request has already refused that).
bool decode_chunked(std::string_view body, std::string& out);

}  // namespace tradestore::rest
