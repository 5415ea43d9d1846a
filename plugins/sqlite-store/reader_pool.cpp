#include "reader_pool.h"

#include <tradestore/store.h>

namespace tradestore::plugins::sqlite {

ReaderPool::Lease::~Lease() {
    if (connection_) pool_->give_back(std::move(connection_), generation_);
}

void ReaderPool::open(const ConnectionOptions& options) {
    std::lock_guard lock(mutex_);
    options_ = options;
    idle_.reserve(max_idle_);  // give_back never allocates
    open_ = true;
}

void ReaderPool::close() {
    std::vector<std::unique_ptr<Connection>> closing;
    {
        std::lock_guard lock(mutex_);
        open_ = false;
        ++generation_;
        closing.swap(idle_);
    }
    // Connections close here, outside the lock.
}

ReaderPool::Lease ReaderPool::acquire() {
    ConnectionOptions options;
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        if (!open_) throw StoreUnavailable("sqlite-store: the store is not open");
        generation = generation_;
        if (!idle_.empty()) {
            std::unique_ptr<Connection> connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection), generation);
        }
        options = options_;
    }
    // Opening a connection takes a while; other readers go on meanwhile.
    return Lease(*this, std::make_unique<Connection>(options, Role::Reader), generation);
}

void ReaderPool::give_back(std::unique_ptr<Connection> connection,
                           std::uint64_t generation) noexcept {
    {
        std::lock_guard lock(mutex_);
        if (open_ && generation == generation_ && idle_.size() < max_idle_ &&
            !connection->in_transaction()) {
            try {
                idle_.push_back(std::move(connection));
                return;
            } catch (...) {
                // Out of memory: close it instead.
            }
        }
    }
    connection.reset();  // outside the lock
}

}  // namespace tradestore::plugins::sqlite
