#include "request_body.h"

#include <istream>

namespace tradestore::rest {

bool has_body(const Poco::Net::HTTPServerRequest& request) {
    return request.getChunkedTransferEncoding() || request.getContentLength64() > 0;
}

BodyRead read_body(Poco::Net::HTTPServerRequest& request, std::size_t max_bytes, std::string& out) {
    out.clear();
    const bool chunked = request.getChunkedTransferEncoding();
    const Poco::Int64 length = request.getContentLength64();
    if (!chunked) {
        if (length <= 0) return BodyRead::Complete;
        if (static_cast<std::uint64_t>(length) > max_bytes) return BodyRead::TooLarge;
        out.resize(static_cast<std::size_t>(length));
        std::istream& in = request.stream();
        in.read(out.data(), static_cast<std::streamsize>(length));
        // Poco's streams turn socket errors and timeouts into badbit; a short read means the
        // client went away.
        if (in.gcount() != static_cast<std::streamsize>(length)) return BodyRead::Broken;
        return BodyRead::Complete;
    }
    std::istream& in = request.stream();
    char buffer[16 * 1024];
    while (true) {
        in.read(buffer, sizeof buffer);
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got > max_bytes - out.size()) return BodyRead::TooLarge;
        out.append(buffer, got);
        if (in.bad()) return BodyRead::Broken;
        if (in.eof()) return BodyRead::Complete;
    }
}

}  // namespace tradestore::rest
