// The read replicas of a PostgreSQL store (read_uri): a connection pool per replica, a
// rotation of those that may serve reads, and a monitor thread that keeps it current.
//
// Every check_interval the monitor samples the primary's WAL position (for the lag, see
// replica_lag.h) and asks each replica whether it is in recovery and how far it has
// replayed. A replica is in rotation while its last check answered, it is still a replica,
// and its lag is within max_lag; it leaves at once when a read finds its connection lost,
// and comes back by itself at its next good check. Reads take replicas in rotation round
// robin; a read that must see a commit (a floor) first asks the replica, on the connection
// it will read on, whether it has replayed that commit (replay only moves forward there).
#pragma once

#include <tradestore/metrics.h>
#include <tradestore/read_replicas.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connection_pool.h"
#include "replica_lag.h"

namespace tradestore::plugins::pg {

struct ReplicaSetOptions {
    std::vector<PoolOptions> replicas;  // one per read_uri entry
    std::chrono::milliseconds max_lag{5000};
    std::chrono::milliseconds check_interval{1000};
};

// "host:port" of a connection string, for names in metrics, health and logs (never the
// credentials); the string itself when libpq cannot parse it.
std::string replica_name(const std::string& conninfo);

class ReplicaSet {
  public:
    ReplicaSet(ReplicaSetOptions options, ConnectionOptions primary);
    ~ReplicaSet();
    ReplicaSet(const ReplicaSet&) = delete;
    ReplicaSet& operator=(const ReplicaSet&) = delete;

    // Opens the pools, checks every replica once (so reads use them from the start) and
    // starts the monitor. A replica or primary that cannot be reached is no error here.
    void start();
    // Stops the monitor, then closes the pools (waiting for their leases).
    void stop();

    struct ReplicaLease {
        std::size_t replica;
        ConnectionPool::Lease lease;
    };
    // A connection to a replica in rotation that may serve a read needing `floor` (0: any
    // replica in rotation); nullopt when none can now. A replica found unreachable here
    // leaves the rotation.
    std::optional<ReplicaLease> lease(std::uint64_t floor);
    // A read on the replica lost its connection: out of rotation until its next good check.
    void lost(std::size_t replica) noexcept;
    // Counts a client read by where it was served.
    void count_read(bool on_replica) noexcept;

    std::vector<ReplicaState> states() const;
    void record_metrics(Metrics& metrics);

  private:
    struct Replica {
        std::string name;
        std::unique_ptr<ConnectionPool> pool;
        std::optional<Connection> monitor;  // the monitor's own connection
        ReplicaState state;
        std::uint64_t replayed = 0;
        std::atomic<bool> in_rotation{false};
        Gauge* lag_gauge = nullptr;
        Gauge* rotation_gauge = nullptr;
    };

    void monitor_loop();
    void check_all();
    void check_primary();
    void check(Replica& replica);
    void publish(Replica& replica, bool reachable, std::optional<double> lag_seconds);
    bool replayed_at_least(Connection& connection, std::uint64_t floor);

    const ReplicaSetOptions options_;
    const ConnectionOptions primary_options_;
    std::vector<std::unique_ptr<Replica>> replicas_;
    std::optional<Connection> primary_;  // the monitor's connection to the primary
    ReplicaLag lag_;

    mutable std::mutex mutex_;  // replicas' state, metric handles
    std::atomic<std::size_t> next_{0};
    std::atomic<Counter*> replica_reads_{nullptr};
    std::atomic<Counter*> primary_reads_{nullptr};

    std::mutex stop_mutex_;
    std::condition_variable stop_changed_;
    bool stopping_ = false;
    std::thread monitor_;
};

}  // namespace tradestore::plugins::pg
