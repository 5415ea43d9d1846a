#include "connection_pool.h"

#include <utility>

namespace tradestore::plugins::pg {

ConnectionPool::ConnectionPool(PoolOptions options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() {
    close();
}

ConnectionPool::Lease::~Lease() {
    if (pool_ != nullptr && connection_) pool_->release(std::move(connection_));
}

void ConnectionPool::open() {
    std::lock_guard lock(mutex_);
    accepting_ = true;
}

void ConnectionPool::close() {
    std::vector<std::unique_ptr<Connection>> closing;
    {
        std::unique_lock lock(mutex_);
        accepting_ = false;
        changed_.notify_all();
        changed_.wait(lock, [this] { return lent_ == 0; });
        closing.swap(idle_);
        open_ -= closing.size();
    }
    // Closed outside the lock: PQfinish may write to the socket.
}

std::size_t ConnectionPool::open_connections() const {
    std::lock_guard lock(mutex_);
    return open_;
}

bool ConnectionPool::check(Connection& connection) noexcept {
    if (!connection.usable()) return false;
    if (!options_.pre_ping) return true;
    if (Clock::now() - connection.last_used < options_.ping_after_idle) return true;
    try {
        connection.ping();
        return true;
    } catch (...) {
        return false;
    }
}

ConnectionPool::Lease ConnectionPool::acquire() {
    return acquire(options_.pool_timeout);
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::milliseconds wait) {
    const Clock::time_point until = Clock::now() + wait;
    const std::size_t limit = options_.pool_size + options_.max_overflow;
    for (;;) {
        std::unique_ptr<Connection> connection;
        {
            std::unique_lock lock(mutex_);
            const bool ready = changed_.wait_until(
                lock, until, [&] { return !accepting_ || !idle_.empty() || open_ < limit; });
            if (!accepting_) throw StoreUnavailable("postgres-store: the store is not open");
            if (!ready) {
                throw StoreUnavailable(
                    "postgres-store: no database connection became free within " +
                    std::to_string(wait.count()) + " ms (pool of " + std::to_string(limit) + ")");
            }
            ++lent_;
            if (!idle_.empty()) {
                connection = std::move(idle_.back());
                idle_.pop_back();
            } else {
                ++open_;  // reserved: opened below, outside the lock
            }
        }
        if (connection) {
            if (check(*connection)) return Lease(*this, std::move(connection));
            discard(std::move(connection));  // broken or closed by the server
            continue;
        }
        try {
            connection = std::make_unique<Connection>(options_.connection);
        } catch (...) {
            std::lock_guard lock(mutex_);
            --open_;
            --lent_;
            changed_.notify_all();
            throw;
        }
        return Lease(*this, std::move(connection));
    }
}

void ConnectionPool::discard(std::unique_ptr<Connection> connection) noexcept {
    {
        std::lock_guard lock(mutex_);
        --lent_;
        --open_;
        changed_.notify_all();
    }
    connection.reset();  // closed outside the lock
}

void ConnectionPool::release(std::unique_ptr<Connection> connection) noexcept {
    connection->rollback_quietly();
    std::unique_ptr<Connection> closing;
    {
        std::lock_guard lock(mutex_);
        --lent_;
        if (!connection->idle() || !accepting_ || idle_.size() >= options_.pool_size) {
            closing = std::move(connection);  // broken, shutting down, or overflow
            --open_;
        } else {
            idle_.push_back(std::move(connection));
        }
        changed_.notify_all();
    }
    closing.reset();  // closed outside the lock
}

}  // namespace tradestore::plugins::pg
