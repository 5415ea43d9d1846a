#include "replica_lag.h"

#include <algorithm>

namespace tradestore::plugins::pg {

void ReplicaLag::primary_at(Clock::time_point when, std::uint64_t position) {
    // Only a new position is a new sample: its time is when the primary was first seen there.
    if (samples_.empty() || position > samples_.back().position) {
        samples_.push_back({when, position});
    }
    while (samples_.size() > 1 && when - samples_.front().when > keep_) samples_.pop_front();
}

std::optional<ReplicaLag::Clock::duration> ReplicaLag::lag(std::uint64_t replayed,
                                                           Clock::time_point now) const {
    if (samples_.empty()) return std::nullopt;
    const auto first_past =
        std::find_if(samples_.begin(), samples_.end(),
                     [replayed](const Sample& s) { return s.position > replayed; });
    if (first_past == samples_.end()) return Clock::duration::zero();
    return std::max(Clock::duration::zero(), now - first_past->when);
}

}  // namespace tradestore::plugins::pg
