// The threads that run handlers: a fixed set fed from one queue. It never refuses work: the
// reactor bounds what it submits (max_in_flight), so the queue cannot grow without limit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tradestore::rest {

class Connection;

class WorkerPool {
  public:
    using Work = std::function<void(Connection&)>;
    WorkerPool(int threads, Work work);
    ~WorkerPool() { stop(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void submit(Connection& connection);
    // Drops what has not started, waits for what runs, joins the threads.
    void stop();
    std::size_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

  private:
    void run();

    Work work_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Connection*> queue_;
    std::atomic<std::size_t> waiting_{0};
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace tradestore::rest
