// A replica's replay lag in time, from the primary's WAL position sampled over time
// (PostgreSQL's pg_stat_replication.replay_lag needs a monitoring role; this needs none): a
// replica that has replayed position P lags by how long ago the primary was first seen past
// P, and not at all when the primary has not gone past P. An idle primary adds no lag.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace tradestore::plugins::pg {

class ReplicaLag {
  public:
    using Clock = std::chrono::steady_clock;

    // Samples older than `keep` are dropped (the newest always stays): a lag is then known
    // up to about `keep`, which must exceed the largest lag anyone acts on.
    explicit ReplicaLag(std::chrono::milliseconds keep) : keep_(keep) {}

    // The primary was at `position` at `when` (calls in time order).
    void primary_at(Clock::time_point when, std::uint64_t position);
    // The lag of a replica that has replayed `replayed`, at `now`; nullopt before the first
    // sample of the primary.
    std::optional<Clock::duration> lag(std::uint64_t replayed, Clock::time_point now) const;

  private:
    struct Sample {
        Clock::time_point when;
        std::uint64_t position;
    };
    std::chrono::milliseconds keep_;
    std::deque<Sample> samples_;  // positions strictly increasing
};

}  // namespace tradestore::plugins::pg
