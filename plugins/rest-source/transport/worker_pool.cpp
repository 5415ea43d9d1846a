#include "worker_pool.h"

namespace tradestore::rest {

WorkerPool::WorkerPool(int threads, Work work) : work_(std::move(work)) {
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

void WorkerPool::submit(Connection& connection) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(&connection);
        waiting_.store(queue_.size(), std::memory_order_relaxed);
    }
    ready_.notify_one();
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && threads_.empty()) return;
        stopping_ = true;
        queue_.clear();
        waiting_.store(0, std::memory_order_relaxed);
    }
    ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
    threads_.clear();
}

void WorkerPool::run() {
    while (true) {
        Connection* connection = nullptr;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            connection = queue_.front();
            queue_.pop_front();
            waiting_.store(queue_.size(), std::memory_order_relaxed);
        }
        work_(*connection);
    }
}

}  // namespace tradestore::rest
