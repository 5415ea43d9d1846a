#include "plain_answers.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Timestamp.h>

#include <ctime>

namespace tradestore::rest {

const std::string& http_date_now() {
    thread_local std::time_t formatted_at = 0;
    thread_local std::string value;
    const std::time_t now = std::time(nullptr);
    if (now != formatted_at) {
        formatted_at = now;
        value = Poco::DateTimeFormatter::format(Poco::Timestamp::fromEpochTime(now),
                                                Poco::DateTimeFormat::HTTP_FORMAT);
    }
    return value;
}

void append_plain_answer(std::string& out, int status, std::string_view detail, bool keep_alive) {
    std::string body = "{\"detail\":\"";
    body += detail;
    body += "\"}";
    out += "HTTP/1.1 ";
    out += std::to_string(status);
    out += ' ';
    out += Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    out += "\r\nDate: ";
    out += http_date_now();
    out += "\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(body.size());
    if (status == 503) out += "\r\nRetry-After: 1";
    out += keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n";
    out += body;
}

std::string refusal_detail(int status, std::size_t max_header_bytes, std::size_t max_body_bytes) {
    switch (status) {
        case 408:
            return "Request not received in time";
        case 411:
            return "Content-Length required";
        case 413:
            return "Request body exceeds " + std::to_string(max_body_bytes) + " bytes";
        case 417:
            return "Only Expect: 100-continue is supported";
        case 431:
            return "Request header exceeds " + std::to_string(max_header_bytes) + " bytes";
        case 501:
            return "Only the chunked transfer coding is supported";
        case 503:
            return "Service unavailable, retry later";
        default:
            return "Malformed HTTP request";
    }
}

}  // namespace tradestore::rest
