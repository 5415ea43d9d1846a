#include "reload_signal.h"

#include <pthread.h>
#include <signal.h>

namespace tradestore::kernel {

namespace {

sigset_t reload_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    return set;
}

}  // namespace

void block_reload_signal() {
    const sigset_t set = reload_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ReloadSignalThread::ReloadSignalThread(std::function<void()> on_reload)
    : on_reload_(std::move(on_reload)) {
    block_reload_signal();
    thread_ = std::thread([this] { run(); });
}

ReloadSignalThread::~ReloadSignalThread() {
    stopping_ = true;
    // Wakes the sigwait() below; SIGHUP is blocked everywhere, so nothing else sees it.
    pthread_kill(thread_.native_handle(), SIGHUP);
    thread_.join();
}

void ReloadSignalThread::run() {
    const sigset_t set = reload_set();
    while (true) {
        int signal_number = 0;
        if (sigwait(&set, &signal_number) != 0) continue;
        if (stopping_) return;
        on_reload_();
    }
}

}  // namespace tradestore::kernel
