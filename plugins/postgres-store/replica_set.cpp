#include "replica_set.h"

#include <libpq-fe.h>

#include <algorithm>
#include <string_view>

namespace tradestore::plugins::pg {
namespace {

struct ConninfoFree {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// Samples are kept long enough to measure any lag up to ten times the bound, at least a
// minute: beyond that, "more than the bound" is all that matters.
std::chrono::milliseconds lag_window(std::chrono::milliseconds max_lag) {
    return std::max(std::chrono::milliseconds{60000}, max_lag * 10);
}

}  // namespace

std::string replica_name(const std::string& conninfo) {
    std::unique_ptr<PQconninfoOption, ConninfoFree> options(
        PQconninfoParse(conninfo.c_str(), nullptr));
    if (!options) return conninfo;
    std::string host = "localhost";
    std::string port = "5432";
    for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val == nullptr || *option->val == '\0') continue;
        const std::string_view keyword = option->keyword;
        if (keyword == "host" || (keyword == "hostaddr" && host == "localhost")) host = option->val;
        if (keyword == "port") port = option->val;
    }
    return host + ":" + port;
}

ReplicaSet::ReplicaSet(ReplicaSetOptions options, ConnectionOptions primary)
    : options_(std::move(options)),
      primary_options_(std::move(primary)),
      lag_(lag_window(options_.max_lag)) {
    for (const PoolOptions& pool : options_.replicas) {
        auto replica = std::make_unique<Replica>();
        replica->name = replica_name(pool.connection.uri);
        replica->pool = std::make_unique<ConnectionPool>(pool);
        replica->state.name = replica->name;
        replicas_.push_back(std::move(replica));
    }
}

ReplicaSet::~ReplicaSet() {
    stop();
}

void ReplicaSet::start() {
    {
        std::lock_guard lock(stop_mutex_);
        if (monitor_.joinable()) return;
        stopping_ = false;
    }
    for (auto& replica : replicas_) replica->pool->open();
    check_all();
    monitor_ = std::thread([this] { monitor_loop(); });
}

void ReplicaSet::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_changed_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    for (auto& replica : replicas_) {
        replica->in_rotation = false;
        replica->pool->close();
        replica->monitor.reset();
    }
    primary_.reset();
}

void ReplicaSet::monitor_loop() {
    std::unique_lock lock(stop_mutex_);
    while (!stop_changed_.wait_for(lock, options_.check_interval, [this] { return stopping_; })) {
        lock.unlock();
        check_all();
        lock.lock();
    }
}

void ReplicaSet::check_all() {
    check_primary();
    for (auto& replica : replicas_) check(*replica);
}

void ReplicaSet::check_primary() {
    try {
        if (!primary_ || primary_->broken()) primary_.emplace(primary_options_);
        const Result result = primary_->run(Query::WalPosition, Params{});
        if (auto position = parse_commit_position(result.text(0, 0))) {
            std::lock_guard lock(mutex_);
            lag_.primary_at(ReplicaLag::Clock::now(), *position);
        }
    } catch (const Unavailable&) {
        primary_.reset();  // no sample: the lag keeps its last measure
    }
}

void ReplicaSet::check(Replica& replica) {
    std::optional<std::uint64_t> replayed;
    try {
        if (!replica.monitor || replica.monitor->broken()) {
            replica.monitor.emplace(replica.pool->options().connection);
        }
        const Result result = replica.monitor->run(Query::ReplicaStatus, Params{});
        // A server no longer in recovery (promoted) is not a replica of this primary.
        if (result.text(0, 0) == "t") replayed = parse_commit_position(result.text(0, 1));
    } catch (const Unavailable&) {
        replica.monitor.reset();
    }
    std::optional<double> lag_seconds;
    if (replayed) {
        std::lock_guard lock(mutex_);
        replica.replayed = *replayed;
        if (auto lag = lag_.lag(*replayed, ReplicaLag::Clock::now())) {
            lag_seconds = std::chrono::duration<double>(*lag).count();
        } else {
            lag_seconds = replica.state.lag_seconds;  // the primary was never sampled
        }
    }
    publish(replica, replayed.has_value(), lag_seconds);
}

void ReplicaSet::publish(Replica& replica, bool reachable, std::optional<double> lag_seconds) {
    const double bound = std::chrono::duration<double>(options_.max_lag).count();
    std::lock_guard lock(mutex_);
    replica.state.reachable = reachable;
    if (lag_seconds) replica.state.lag_seconds = lag_seconds;
    replica.state.in_rotation = reachable && lag_seconds && *lag_seconds <= bound;
    replica.in_rotation = replica.state.in_rotation;
    if (replica.rotation_gauge) replica.rotation_gauge->set(replica.state.in_rotation ? 1 : 0);
    if (replica.lag_gauge && replica.state.lag_seconds)
        replica.lag_gauge->set(*replica.state.lag_seconds);
}

bool ReplicaSet::replayed_at_least(Connection& connection, std::uint64_t floor) {
    Params params;
    params.text(format_commit_position(floor));
    return connection.run(Query::ReplayedAtLeast, params).text(0, 0) == "t";
}

std::optional<ReplicaSet::ReplicaLease> ReplicaSet::lease(std::uint64_t floor) {
    const std::size_t count = replicas_.size();
    const std::size_t first = next_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t index = (first + i) % count;
        Replica& replica = *replicas_[index];
        if (!replica.in_rotation.load(std::memory_order_relaxed)) continue;
        try {
            ReplicaLease chosen{index, replica.pool->acquire()};
            if (floor == 0 || replayed_at_least(*chosen.lease, floor)) return chosen;
        } catch (const Unavailable& error) {
            if (error.connection_lost()) lost(index);
        } catch (const StoreUnavailable&) {
            lost(index);  // no connection could be opened (or none freed up in time)
        }
    }
    return std::nullopt;
}

void ReplicaSet::lost(std::size_t index) noexcept {
    Replica& replica = *replicas_[index];
    std::lock_guard lock(mutex_);
    replica.in_rotation = false;
    replica.state.in_rotation = false;
    replica.state.reachable = false;
    if (replica.rotation_gauge) replica.rotation_gauge->set(0);
}

void ReplicaSet::count_read(bool on_replica) noexcept {
    if (Counter* counter = (on_replica ? replica_reads_ : primary_reads_).load()) counter->inc();
}

std::vector<ReplicaState> ReplicaSet::states() const {
    std::lock_guard lock(mutex_);
    std::vector<ReplicaState> states;
    states.reserve(replicas_.size());
    for (const auto& replica : replicas_) states.push_back(replica->state);
    return states;
}

void ReplicaSet::record_metrics(Metrics& metrics) {
    std::lock_guard lock(mutex_);
    for (auto& replica : replicas_) {
        const MetricLabels labels{{"replica", replica->name}};
        replica->lag_gauge =
            &metrics.gauge("tradestore_postgres_replica_lag_seconds",
                           "Replay lag of a read replica, as last measured by the store", labels);
        replica->rotation_gauge =
            &metrics.gauge("tradestore_postgres_replica_in_rotation",
                           "1 while the replica serves reads (reachable, lag within "
                           "max_replica_lag), else 0",
                           labels);
        replica->rotation_gauge->set(replica->state.in_rotation ? 1 : 0);
        if (replica->state.lag_seconds) replica->lag_gauge->set(*replica->state.lag_seconds);
    }
    const char* help = "Client reads (REST queries) by the server that served them";
    replica_reads_ = &metrics.counter("tradestore_postgres_reads_total", help,
                                      MetricLabels{{"server", "replica"}});
    primary_reads_ = &metrics.counter("tradestore_postgres_reads_total", help,
                                      MetricLabels{{"server", "primary"}});
}

}  // namespace tradestore::plugins::pg
