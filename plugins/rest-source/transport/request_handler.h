// What the transport hands each request to: api/'s RequestDispatcher implements it, so the
// transport needs nothing from the rooms above it. handle and admit_header run on a worker
// thread with a request parsed from memory (buffered_exchange.h) and a response that buffers
// the answer.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace tradestore::rest {

class RequestHandler {
  public:
    virtual ~RequestHandler() = default;

    // Serves the complete request; the answer goes into `response` (nothing sent: close).
    virtual void handle(Poco::Net::HTTPServerRequest& request,
                        Poco::Net::HTTPServerResponse& response) = 0;
    // Decides on the header alone whether a request whose body is still to come may go on.
    // True: go on. False: the refusal is in `response`.
    virtual bool admit_header(Poco::Net::HTTPServerRequest& request,
                              Poco::Net::HTTPServerResponse& response) = 0;
    // The transport answered `status` itself, before any routing (a limit, a malformed
    // request, overload): counted with the requests that matched no route. Reactor thread.
    virtual void count_refusal(int status) noexcept = 0;
};

}  // namespace tradestore::rest
