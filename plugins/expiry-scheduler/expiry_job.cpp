#include "expiry_job.h"

namespace tradestore::plugins {

// The host logs "expiry run (job) marked N trade(s) expired" for every run.
void ExpiryJob::run(Host& host) {
    host.expire_now("job");
}

}  // namespace tradestore::plugins
