// What pg_xact_status() says about a transaction whose COMMIT was cut off, read with care for
// a server that restarted in between: a transaction id that was never written to the WAL is
// handed out again after a crash, so the status may then be another transaction's.
#pragma once

#include <cstdint>
#include <string_view>

namespace tradestore::plugins::pg {

enum class CommitVerdict : std::uint8_t {
    Committed,
    Aborted,        // never committed: running it again is safe
    AskAgain,       // still committing, or the server has not yet noticed the client left
    CheckEvidence,  // "committed" after a restart: ours, or a reuse of its id; look for its rows
    Unknown,        // cannot be learned (the status is no longer kept)
};

// `status` as Query::TransactionStatus gives it; `restarted`: the server's start time differs
// from the one read in the transaction.
CommitVerdict commit_verdict(std::string_view status, bool restarted) noexcept;

}  // namespace tradestore::plugins::pg
