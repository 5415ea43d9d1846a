// A small pool of read connections. WAL lets any number of readers run beside the writer;
// a connection serves one thread at a time, so each read leases one and gives it back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "connection.h"

namespace tradestore::plugins::sqlite {

class ReaderPool {
  public:
    class [[nodiscard]] Lease {
      public:
        Lease(ReaderPool& pool, std::unique_ptr<Connection> connection, std::uint64_t generation)
            : pool_(&pool), connection_(std::move(connection)), generation_(generation) {}
        ~Lease();
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;

        Connection* operator->() const noexcept { return connection_.get(); }
        Connection& operator*() const noexcept { return *connection_; }

      private:
        ReaderPool* pool_;
        std::unique_ptr<Connection> connection_;
        std::uint64_t generation_;
    };

    explicit ReaderPool(std::size_t max_idle) : max_idle_(max_idle) {}

    // Starts handing out connections to the database described by `options`.
    void open(const ConnectionOptions& options);
    // Closes the idle connections; leased ones are closed when given back.
    void close();

    // An idle connection, or a new one when none is idle. Throws StoreUnavailable when the
    // pool is closed or the database cannot be opened.
    Lease acquire();

  private:
    void give_back(std::unique_ptr<Connection> connection, std::uint64_t generation) noexcept;

    const std::size_t max_idle_;
    std::mutex mutex_;
    bool open_ = false;
    std::uint64_t generation_ = 0;  // bumped by close(): connections of an older one are dropped
    ConnectionOptions options_;
    std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace tradestore::plugins::sqlite
