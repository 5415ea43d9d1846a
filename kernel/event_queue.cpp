#include "event_queue.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <iterator>
#include <random>

namespace tradestore::kernel {

bool EventQueue::push(SystemEvent event) {
    bool dropped = false;
    {
        std::lock_guard lock(mutex_);
        if (events_.size() >= capacity_) {
            events_.pop_front();
            ++dropped_;
            dropped = true;
        }
        events_.push_back(std::move(event));
    }
    queued_.notify_one();
    return dropped;
}

void EventQueue::wait_for_events(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    queued_.wait_for(lock, timeout, [this] { return woken_ || !events_.empty(); });
    woken_ = false;
}

void EventQueue::wake() {
    {
        std::lock_guard lock(mutex_);
        woken_ = true;
    }
    queued_.notify_all();
}

EventBatch EventQueue::take(std::size_t max) {
    std::lock_guard lock(mutex_);
    EventBatch batch;
    const std::size_t count = std::min(max, events_.size());
    batch.events.assign(
        std::make_move_iterator(events_.begin()),
        std::make_move_iterator(events_.begin() + static_cast<std::ptrdiff_t>(count)));
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(count));
    batch.dropped = dropped_;
    dropped_ = 0;
    return batch;
}

std::size_t EventQueue::size() const {
    std::lock_guard lock(mutex_);
    return events_.size();
}

std::string new_event_id(std::string_view event_type) {
    // A random start per process, then a counter: unique without a lock.
    static std::atomic<std::uint64_t> next{std::random_device{}() * 0x9E3779B97F4A7C15ull ^
                                           std::random_device{}()};
    std::array<char, 17> hex{};
    std::snprintf(hex.data(), hex.size(), "%016llx",
                  static_cast<unsigned long long>(next.fetch_add(1, std::memory_order_relaxed)));
    return std::string(event_type) + ":" + hex.data();
}

std::string event_data_object(std::string_view json) {
    rapidjson::Document document;
    document.Parse(json.data(), json.size());
    if (!document.HasParseError() && document.IsObject()) return std::string(json);
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    writer.Key("text");
    writer.String(json.data(), static_cast<rapidjson::SizeType>(json.size()));
    writer.EndObject();
    return buffer.GetString();
}

}  // namespace tradestore::kernel
