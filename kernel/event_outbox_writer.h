// Moves system events from the kernel's bounded queue into the store's event outbox
// (EventOutbox::append_events), in batches, on its own thread: emit_event never waits for the
// store, and ingestion never waits for events. While the store is down (and so for the
// STORE_DOWN event itself) the events wait in the queue, bounded, and the writer retries
// every second; what the store has, survives a kill -9, and the shipper (mongo-audit) sends
// it from there. Appending is idempotent on the event id, so a retry after an append whose
// outcome was unknown stores nothing twice.
#pragma once

#include <tradestore/host.h>
#include <tradestore/store_capabilities.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "event_queue.h"

namespace tradestore::kernel {

class EventOutboxWriter {
  public:
    struct Hooks {
        // Takes up to `max` events from the queue (the host logs drops).
        std::function<EventBatch(std::size_t max)> take;
        std::function<void(LogLevel, const std::string&)> log;
        // What an append showed of the store: up, or down with the error.
        std::function<void(bool up, const std::string& error)> store_state;
    };

    EventOutboxWriter(EventQueue& queue, EventOutbox& outbox, Hooks hooks);
    ~EventOutboxWriter();
    EventOutboxWriter(const EventOutboxWriter&) = delete;
    EventOutboxWriter& operator=(const EventOutboxWriter&) = delete;

    void start();
    // Ends the thread; the events it held stay for flush(). Idempotent.
    void stop();
    // On the caller's thread, after stop(): writes every queued event, retrying until
    // `deadline` while the store refuses (at least one attempt). Returns how many are left.
    std::size_t flush(std::chrono::steady_clock::time_point deadline);

    static constexpr std::size_t kBatchSize = 100;
    static constexpr std::chrono::milliseconds kRetryInterval{1000};

  private:
    void run();
    // Takes what fits into the batch in hand and appends it; false when the store refused
    // (the batch is kept for the next attempt).
    bool write_once();
    // After the store refused the batch as such (std::invalid_argument, a std::logic_error):
    // appends event by event,
    // dropping (and logging) those it refuses so; false when the store is down meanwhile.
    bool write_one_by_one();
    // The store is down: logged once per spell, and reported (STORE_DOWN on a change).
    void note_failure(const std::string& error);
    std::size_t waiting() const { return pending_.size() + queue_.size(); }

    EventQueue& queue_;
    EventOutbox& outbox_;
    const Hooks hooks_;
    std::vector<SystemEvent> pending_;  // taken from the queue, not yet in the store
    bool failing_ = false;

    std::mutex stop_mutex_;
    std::condition_variable stop_requested_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tradestore::kernel
