// The kernel's queue of system events (Host::emit_event), from which the plugin that ships
// them takes them (Host::take_events). Bounded: when full, the oldest event is dropped and
// counted, so an event store that is away for long, or a deployment without one, never grows
// the process. Events live only here until taken: a kill -9 loses the queued ones (the
// events derived from audit entries, TRADES_EXPIRED and DEAD_LETTERED, travel the store's
// durable outbox instead).
#pragma once

#include <tradestore/events.h>

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

  private:
    const std::size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<SystemEvent> events_;
    std::int64_t dropped_ = 0;
};

// "<event_type>:<16 hex digits>", unique within and across processes (random, then counted).
std::string new_event_id(std::string_view event_type);

// `json` when it is a JSON object; otherwise {"text": <json as a string>}, so that an event
// always carries an object, whatever a plugin passed.
std::string event_data_object(std::string_view json);

}  // namespace tradestore::kernel
