// libFuzzer harness: arbitrary bytes through the rest-source's request path in-process, as the
// reactor runs it after each read: frame_request() finds where a request ends (or refuses it),
// serve_request() builds the request from what the framing read and runs the dispatcher and
// the handlers over an in-memory store; pipelined requests follow while the answer keeps the
// connection open.
// Checks the framer's invariants on the way (a prefix never frames differently) and that
// every answer is an HTTP/1.x response other than 500.
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../tests/plugins/rest-source/rest_fakes.h"
#include "api/request_dispatcher.h"
#include "rest_config.h"
#include "transport/buffered_exchange.h"
#include "transport/http_framing.h"

namespace {

using namespace tradestore::rest;

RestConfig fuzz_config() {
    RestConfig config = default_config();
    config.max_body_bytes = 16 * 1024;
    config.max_header_bytes = 4096;
    config.max_batch_items = 20;
    config.docs_dir = "/nonexistent";
    return config;
}

struct Harness {
    fakes::FakeHost host;
    RestConfig config = fuzz_config();
    std::atomic<bool> stopping{false};
    RequestDispatcher dispatcher{host, config, stopping};
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    ConnectionInfo info{Poco::Net::SocketAddress("127.0.0.1", 40000),
                        Poco::Net::SocketAddress("127.0.0.1", 8080), false};
    FramingLimits limits{config.max_header_bytes, config.max_body_bytes};
    std::string decoded;
    std::string out;
};

void check(bool invariant) {
    if (!invariant) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Harness h;
    {
        std::lock_guard lock(h.host.store_.mutex);
        h.host.store_.trades.clear();  // every input starts from the same state
    }
    h.host.clear_logs();
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (int request = 0; request < 16 && !bytes.empty(); ++request) {
        const Framing framing = frame_request(bytes, h.limits);
        // Bytes arrive in pieces: a prefix that frames as complete must frame the same way.
        const Framing prefix = frame_request(bytes.substr(0, bytes.size() / 2), h.limits);
        if (prefix.state == Framing::State::Complete) {
            check(framing.state == Framing::State::Complete &&
                  framing.request_bytes == prefix.request_bytes);
        }
        if (framing.state != Framing::State::Complete) break;
        check(framing.request_bytes > 0 && framing.request_bytes <= bytes.size());
        check(framing.header_bytes <= framing.request_bytes);
        const bool keep_alive =
            serve_request(h.dispatcher, *h.params, h.info, bytes.substr(0, framing.request_bytes),
                          framing, h.decoded, h.out);
        check(h.out.empty() || h.out.starts_with("HTTP/1."));
        // The fake store never fails, so a 500 means a handler threw on some input.
        check(!h.out.starts_with("HTTP/1.1 500") && !h.out.starts_with("HTTP/1.0 500"));
        if (!keep_alive) break;
        bytes.remove_prefix(framing.request_bytes);
    }
    return 0;
}
