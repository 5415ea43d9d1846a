// Runs scheduled jobs on one thread: each at start (if it asks) and then every interval.
#pragma once

#include <tradestore/job.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tradestore::kernel {

class JobScheduler {
  public:
    using ErrorLogger = std::function<void(const std::string& job, const std::string& error)>;

    JobScheduler(Host& host, ErrorLogger log_error);
    ~JobScheduler();

    void add(std::string name, std::shared_ptr<Job> job);
    void start();
    // Waits for a running job to finish; runs no new ones.
    void stop();
    // After stop(): Job::finish of every job, once, in the order they were added.
    void finish();

  private:
    struct Entry {
        std::string name;
        std::shared_ptr<Job> job;
        std::chrono::steady_clock::time_point next_run;
    };
    void loop();

    Host& host_;
    ErrorLogger log_error_;
    std::vector<Entry> entries_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::jthread thread_;
};

}  // namespace tradestore::kernel
