// A pool of connections in the manner of SQLAlchemy's QueuePool: up to pool_size connections
// are kept open when idle, up to max_overflow more are opened under load and closed when
// they come back, and a caller waits at most pool_timeout for one. Connections are opened on
// demand, so a pool over a server that is down opens nothing and fails fast.
//
// Before a connection is handed out it is checked (pre-ping): always without a round trip
// (still open, not closed by the server), and with a "SELECT 1" when it has been idle for
// longer than ping_after_idle. A connection that fails a check is closed and replaced, which
// is how the store reconnects by itself after the server restarts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "connection.h"

namespace tradestore::plugins::pg {

struct PoolOptions {
    ConnectionOptions connection;
    std::size_t pool_size = 10;
    std::size_t max_overflow = 20;
    std::chrono::milliseconds pool_timeout{30000};
    bool pre_ping = true;
    std::chrono::milliseconds ping_after_idle{1000};
};

class ConnectionPool {
  public:
    explicit ConnectionPool(PoolOptions options);
    ~ConnectionPool();
    ConnectionPool(const ConnectionPool&) = delete;
    ConnectionPool& operator=(const ConnectionPool&) = delete;

    // A connection lent to one caller; returned to the pool (or closed) when destroyed.
    // A connection is returned only outside any transaction: an open one is rolled back
    // first, and a connection that cannot be rolled back is closed.
    class Lease {
      public:
        Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
            : pool_(&pool), connection_(std::move(connection)) {}
        ~Lease();
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        Connection& operator*() const noexcept { return *connection_; }
        Connection* operator->() const noexcept { return connection_.get(); }

      private:
        ConnectionPool* pool_;
        std::unique_ptr<Connection> connection_;
    };

    // Allows leases. Opens no connection.
    void open();
    // Refuses new leases, waits until every lease has come back, closes all connections.
    void close();

    // A checked connection. Throws StoreUnavailable when the pool is closed, no connection
    // frees up within `wait` (default: pool_timeout) or a new one cannot be opened.
    Lease acquire();
    Lease acquire(std::chrono::milliseconds wait);

    const PoolOptions& options() const noexcept { return options_; }
    // Connections open now, idle or lent (for tests and diagnostics).
    std::size_t open_connections() const;

  private:
    void release(std::unique_ptr<Connection> connection) noexcept;
    void discard(std::unique_ptr<Connection> connection) noexcept;
    bool check(Connection& connection) noexcept;

    const PoolOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::unique_ptr<Connection>> idle_;  // most recently used last
    std::size_t open_ = 0;                           // idle + lent + being opened
    std::size_t lent_ = 0;                           // leases outstanding
    bool accepting_ = false;
};

}  // namespace tradestore::plugins::pg
