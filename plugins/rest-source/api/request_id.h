// X-Request-ID: the client's own when it sends a sensible one, else a cheap generated one
// (a random per-process prefix and a counter). It is also the Candidate.reference that the
// audit keeps, so an operator can find the request again.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace tradestore::rest {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// 1..128 visible ASCII characters (no spaces or controls), so echoing it is always safe.
bool is_acceptable_request_id(std::string_view id);

class RequestIdGenerator {
  public:
    static constexpr std::size_t kBufferSize = 32;

    RequestIdGenerator();  // draws the random prefix
    // Writes "<8 hex prefix>-<hex counter>" into buffer and returns a view of it.
    std::string_view next(char (&buffer)[kBufferSize]);

  private:
    char prefix_[8];
    std::atomic<std::uint64_t> counter_{0};
};

}  // namespace tradestore::rest
