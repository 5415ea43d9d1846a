// SIGHUP as a request to reload the config. A signal handler may do almost nothing safely, so
// there is none: SIGHUP is blocked in every thread (block_reload_signal() runs before any
// thread starts, and threads inherit the mask) and one thread takes it with sigwait() and
// runs the reload as ordinary code.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace tradestore::kernel {

// Blocks SIGHUP in the calling thread and so in every thread it starts afterwards.
void block_reload_signal();

class ReloadSignalThread {
  public:
    // Calls `on_reload` once per SIGHUP received, on its own thread, one call at a time.
    explicit ReloadSignalThread(std::function<void()> on_reload);
    // Stops taking SIGHUP and waits for a reload in progress to finish.
    ~ReloadSignalThread();

    ReloadSignalThread(const ReloadSignalThread&) = delete;
    ReloadSignalThread& operator=(const ReloadSignalThread&) = delete;

  private:
    void run();

    std::function<void()> on_reload_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace tradestore::kernel
