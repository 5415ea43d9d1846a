#include "event_outbox_writer.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace tradestore::kernel {

namespace {

constexpr std::chrono::milliseconds kIdleWait{1000};
constexpr std::chrono::milliseconds kFlushRetry{100};

}  // namespace

EventOutboxWriter::EventOutboxWriter(EventQueue& queue, EventOutbox& outbox, Hooks hooks)
    : queue_(queue), outbox_(outbox), hooks_(std::move(hooks)) {
    pending_.reserve(kBatchSize);
}

EventOutboxWriter::~EventOutboxWriter() {
    stop();
}

void EventOutboxWriter::start() {
    thread_ = std::thread([this] { run(); });
}

void EventOutboxWriter::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        stopping_ = true;
    }
    stop_requested_.notify_all();
    queue_.wake();
    if (thread_.joinable()) thread_.join();
}

void EventOutboxWriter::run() {
    for (;;) {
        {
            std::lock_guard lock(stop_mutex_);
            if (stopping_) return;
        }
        if (write_once()) {
            if (pending_.empty()) queue_.wait_for_events(kIdleWait);
            continue;
        }
        std::unique_lock lock(stop_mutex_);
        stop_requested_.wait_for(lock, kRetryInterval, [this] { return stopping_; });
    }
}

// no_sanitize("vptr"): UBSan's vptr check (ASan/UBSan preset) proves an object's type by
// reading its vtable through a pipe when its cache misses. While the process is out of
// descriptors (and an event about exactly that is being written) the pipe fails, and the check
// reports a false "not an object of type EventOutbox" that aborts the daemon
// (e2e.test_limits' descriptor test). The outbox is the store, alive as long as the host.
__attribute__((no_sanitize("vptr"))) bool EventOutboxWriter::write_once() {
    if (pending_.size() < kBatchSize) {
        EventBatch taken = hooks_.take(kBatchSize - pending_.size());
        std::move(taken.events.begin(), taken.events.end(), std::back_inserter(pending_));
    }
    if (pending_.empty()) return true;
    try {
        outbox_.append_events(pending_);
        pending_.clear();
    } catch (const std::logic_error&) {
        // Not the store being down: some event can never be stored (a NUL byte in a plugin's
        // event type, say). One by one, so that only those go and the rest are not held back.
        if (!write_one_by_one()) return false;
    } catch (const std::exception& error) {
        note_failure(error.what());
        return false;
    }
    if (failing_) {
        failing_ = false;
        hooks_.log(LogLevel::Info, "the store takes events again");
    }
    hooks_.store_state(true, {});
    return true;
}

// no_sanitize("vptr"): as write_once().
__attribute__((no_sanitize("vptr"))) bool EventOutboxWriter::write_one_by_one() {
    std::size_t done = 0;
    for (; done < pending_.size(); ++done) {
        try {
            outbox_.append_events({pending_[done]});
        } catch (const std::logic_error& error) {
            hooks_.log(LogLevel::Error, "event " + pending_[done].id +
                                            " cannot be stored and is dropped: " + error.what());
        } catch (const std::exception& error) {
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
            note_failure(error.what());
            return false;
        }
    }
    pending_.clear();
    return true;
}

void EventOutboxWriter::note_failure(const std::string& error) {
    if (!failing_) {
        failing_ = true;
        hooks_.log(LogLevel::Warning, "writing events to the store failed: " + error +
                                          "; they wait in memory (at most " +
                                          std::to_string(queue_.capacity()) +
                                          ") until the store is back");
    }
    hooks_.store_state(false, error);
}

std::size_t EventOutboxWriter::flush(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        if (write_once()) {
            if (waiting() == 0) return 0;
            continue;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return waiting();
        std::this_thread::sleep_for(
            std::min<std::chrono::steady_clock::duration>(kFlushRetry, deadline - now));
    }
}

}  // namespace tradestore::kernel
