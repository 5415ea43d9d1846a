// The kernel's queue of system events (Host::emit_event), from which the kernel's event
// outbox writer moves them into the store (EventOutboxWriter), or, with a store that has no
// event outbox, the plugin that ships them takes them (Host::take_events). Bounded: when
// full, the oldest event is dropped and counted, so a store that is down for long never
// grows the process. Only what waits here is lost to a kill -9: the store's outbox is
// durable, and the writer empties this queue within milliseconds while the store is up.
#pragma once

#include <tradestore/events.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

namespace tradestore::kernel {

class EventQueue {
  public:
    explicit EventQueue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    // Returns true when the queue was full and the oldest event was dropped for this one.
    bool push(SystemEvent event);
    // Up to `max` events, oldest first, and how many were dropped since the last take.
    EventBatch take(std::size_t max);
    std::size_t size() const;
    std::size_t capacity() const noexcept { return capacity_; }

    // Blocks until an event is queued, wake() is called, or `timeout` passes.
    void wait_for_events(std::chrono::milliseconds timeout);
    // Ends the current (or the next) wait_for_events at once.
    void wake();

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::condition_variable queued_;
    bool woken_ = false;
    std::deque<SystemEvent> events_;
    std::int64_t dropped_ = 0;
};

// "<event_type>:<16 hex digits>", unique within and across processes (random, then counted).
std::string new_event_id(std::string_view event_type);

// `json` when it is a JSON object; otherwise {"text": <json as a string>}, so that an event
// always carries an object, whatever a plugin passed.
std::string event_data_object(std::string_view json);

}  // namespace tradestore::kernel
