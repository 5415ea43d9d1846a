// Read-your-writes across read replicas: every write answer names its commit in X-Min-LSN
// (when the store has replicas); a request carrying that header reads through a reader that
// sees the commit (a replica that has replayed it, or the primary).
#pragma once

#include <tradestore/read_replicas.h>
#include <tradestore/store.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::rest {

inline const std::string kMinLsnHeader = "X-Min-LSN";
// What the header takes (parse_commit_position: either case), what write answers carry
// (format_commit_position: upper case), and the 400's detail for anything else.
inline constexpr std::string_view kMinLsnPattern = "^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$";
inline constexpr std::string_view kCommitLsnPattern = "^[0-9A-F]{1,8}/[0-9A-F]{1,8}$";
inline constexpr std::string_view kMalformedMinLsn =
    "X-Min-LSN must be a WAL position such as 0/16B3748, as a write answer's X-Min-LSN header "
    "gives it";

struct ReadTarget {
    std::unique_ptr<StoreReader> floored;  // owns the reader when the request asked for one
    StoreReader* reader = nullptr;
};

// Where a request's reads go, given its X-Min-LSN value (nullptr: no such header); nullopt
// when the value is not a WAL position ("16/B374D848"). Without the header, or on a store
// without replicas (`replicas` nullptr), the store's own reader.
std::optional<ReadTarget> read_target(const std::string* min_lsn, StoreReader& store,
                                      ReadReplicas* replicas);

}  // namespace tradestore::rest
