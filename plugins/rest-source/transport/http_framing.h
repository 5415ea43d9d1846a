// Where one HTTP/1.x request ends in the bytes received so far, and what its request line
// and header fields are. The reactor asks after every read, so the header and body limits
// hold before any worker or handler sees a byte; workers then build the request from what was
// found here (buffered_exchange.cpp) without reading the header again. Pure functions, no I/O.
//
// One parser for every request (issue 19): this layer, not Poco's HTTPRequest::read, reads the
// request line and the fields, and buffered_exchange.cpp builds Poco's request object from the
// result (setMethod, setURI, setVersion, add), so the handlers keep Poco's HTTPServerRequest
// interface. Kept rather than Boost.Beast's parser: this layer already walked every header line
// and held every limit and smuggling refusal, with its tests and the http_request fuzz
// harness; Beast (Boost 1.74 in Debian 12) reads edge shapes its own way (CRLF only, where bare
// LF lines are accepted; its own answers to other transfer codings, duplicate lengths, folded
// lines), so every refusal would have been decided again, and the handlers speak Poco's
// interfaces, so its message would still have been turned into a Poco request.
//
// The limits Poco's parser had are held here with the same answer, 400 and close: method 32
// bytes, request target 16 KiB, version 8 bytes, field name 256, field value 8 KiB (counted
// from its first byte that is not whitespace to the line's end), 100 fields.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradestore::rest {

struct FramingLimits {
    std::size_t max_header_bytes = 16 * 1024;  // request line and header fields
    std::size_t max_body_bytes = 1024 * 1024;  // body as delivered (after chunked decoding)
};

inline constexpr std::size_t kMaxMethodBytes = 32;
inline constexpr std::size_t kMaxTargetBytes = 16 * 1024;
inline constexpr std::size_t kMaxVersionBytes = 8;
inline constexpr std::size_t kMaxFieldNameBytes = 256;
inline constexpr std::size_t kMaxFieldValueBytes = 8 * 1024;
inline constexpr std::size_t kMaxFields = 100;

// Where a piece of the header is in the request's bytes (from their start).
struct Span {
    std::uint32_t begin = 0;
    std::uint32_t size = 0;
    std::string_view in(std::string_view bytes) const { return bytes.substr(begin, size); }
};

// One header field: its name as sent, its value without the whitespace around it.
struct FieldSpan {
    std::uint32_t name_begin = 0;
    std::uint32_t value_begin = 0;
    std::uint16_t name_size = 0;
    std::uint16_t value_size = 0;
    std::string_view name(std::string_view bytes) const {
        return bytes.substr(name_begin, name_size);
    }
    std::string_view value(std::string_view bytes) const {
        return bytes.substr(value_begin, value_size);
    }
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
    // Once the header has ended (header_bytes > 0, not Refused): the request line's three
    // words (anything after the third is ignored) and the fields in the order sent.
    Span method;
    Span target;
    Span version;
    std::size_t field_count = 0;
    std::array<FieldSpan, kMaxFields> fields;
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
