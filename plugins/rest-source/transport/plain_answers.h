// Answers the transport writes itself, before or instead of a handler: limits refused (413,
// 431, 503...), unparseable requests (400) and 100 Continue. JSON like every other answer.
#pragma once

#include <string>
#include <string_view>

namespace tradestore::rest {

// Appends a complete answer with {"detail": detail}, Content-Length, and Connection: close
// unless keep_alive; Retry-After: 1 with a 503.
void append_plain_answer(std::string& out, int status, std::string_view detail, bool keep_alive);

// The detail text the transport uses for a status it refuses a request with.
std::string refusal_detail(int status, std::size_t max_header_bytes, std::size_t max_body_bytes);

// The current time as an HTTP Date header value, formatted once a second per thread.
const std::string& http_date_now();

inline constexpr std::string_view kContinueAnswer = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace tradestore::rest
