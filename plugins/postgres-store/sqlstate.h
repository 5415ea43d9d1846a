// What a PostgreSQL error means for the caller, by its SQLSTATE (the manual's Appendix A).
#pragma once

#include <cstdint>
#include <string_view>

namespace tradestore::plugins::pg {

enum class ErrorKind : std::uint8_t {
    SessionEnded,  // the connection is gone: StoreUnavailable, the connection lost
    Transient,     // the server cannot do it now: StoreUnavailable, retry later
    Refused,       // the data itself (a value it cannot hold, a constraint): StoreRefused
    Other,         // a bug or a setup problem (a missing right, a missing table)
};

// "" (no SQLSTATE: the failure was on the client's side) counts as SessionEnded.
ErrorKind classify(std::string_view sqlstate) noexcept;

}  // namespace tradestore::plugins::pg
