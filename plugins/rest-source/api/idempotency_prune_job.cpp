#include "idempotency_prune_job.h"

#include <string>

namespace tradestore::rest {

void IdempotencyPruneJob::run(Host& host) {
    IdempotencyKeys* keys = host.capabilities().idempotency_keys;
    if (keys == nullptr) return;
    const std::int64_t pruned = keys->prune_idempotency_keys(host.clock().now());
    if (pruned > 0) {
        host.log(LogLevel::Info, "rest-source",
                 "pruned " + std::to_string(pruned) + " expired idempotency key(s)");
    }
}

}  // namespace tradestore::rest
