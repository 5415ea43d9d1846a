// What became of a candidate trade, with stable reason codes for rejections.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/trade.h"

namespace tradestore {

// Deleted: a delete candidate removed the trade (a tombstone keeps its version).
enum class Outcome : std::uint8_t { Created, Updated, Replaced, Rejected, Deleted };

inline std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::Created:
            return "created";
        case Outcome::Updated:
            return "updated";
        case Outcome::Replaced:
            return "replaced";
        case Outcome::Rejected:
            return "rejected";
        case Outcome::Deleted:
            return "deleted";
    }
    return "rejected";
}

// Stable reason codes of the built-in rules. Custom rules add their own codes; a code is
// UPPER_SNAKE_CASE and never changes meaning once published.
namespace reason {
inline constexpr std::string_view kLowerVersion = "LOWER_VERSION";
inline constexpr std::string_view kMaturityInPast = "MATURITY_IN_PAST";
inline constexpr std::string_view kDeletedVersion = "DELETED_VERSION";
// Not a rule: a delete of a trade that has no live row (never stored, or deleted already).
inline constexpr std::string_view kNotFound = "NOT_FOUND";
// Set by the kernel, not a rule: the store refused this trade alone (a value it cannot hold);
// it was not stored, and the rest of its batch was.
inline constexpr std::string_view kStoreRefused = "STORE_REFUSED";
}  // namespace reason

struct Rejection {
    std::string code;
    std::string message;  // names the trade, e.g. "Trade T1: Received version 1 is lower ..."

    bool operator==(const Rejection&) const = default;
};

// One decision per candidate, in the order the candidates were given.
struct ItemResult {
    Outcome outcome = Outcome::Rejected;
    std::vector<Rejection> reasons;  // non-empty exactly when Rejected and not skipped_as_replay
    // The row as stored after this decision; for Deleted, the trade as it stood when deleted
    // (its last_updated is when the delete was recorded).
    std::optional<Trade> stored;
    std::optional<std::int64_t> previous_version;  // the version stored before, if any
    // At or below the recorded position of its partition: applied by an earlier transaction,
    // so not decided again (no audit entry, outcome left Rejected with no reasons).
    bool skipped_as_replay = false;
    // Where the store's commit of this decision is, for reads that must see it
    // (tradestore/read_replicas.h): PostgreSQL's WAL position (LSN) at or after the commit
    // record. 0 when the store serves every read from the server it writes to.
    std::uint64_t commit_position = 0;
};

}  // namespace tradestore
