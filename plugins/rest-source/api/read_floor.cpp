#include "read_floor.h"

#include <tradestore/read_replicas.h>

namespace tradestore::rest {

std::optional<ReadTarget> read_target(const std::string* min_lsn, StoreReader& store,
                                      ReadReplicas* replicas) {
    ReadTarget target;
    target.reader = &store;
    if (min_lsn == nullptr) return target;
    const std::optional<std::uint64_t> position = parse_commit_position(*min_lsn);
    if (!position) return std::nullopt;
    // Without replicas every read already sees every commit.
    if (replicas != nullptr && *position != 0) {
        target.floored = replicas->reader_after(*position);
        target.reader = target.floored.get();
    }
    return target;
}

}  // namespace tradestore::rest
