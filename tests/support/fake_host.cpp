#include "fake_host.h"

#include <algorithm>

namespace tradestore::test_support {

FakeHost::FakeHost(Store& store, IngestSink& ingest)
    : reader_(store), full_store_(&store), sink_(ingest) {}

FakeHost::FakeHost(StoreReader& store, IngestSink& ingest) : reader_(store), sink_(ingest) {}

const StoreCapabilities& FakeHost::capabilities() const {
    // Asked anew at each call (a test may switch a capability on), into a copy per thread:
    // request workers ask at once, and one shared copy would be written while read (TSan).
    thread_local StoreCapabilities asked;
    asked = full_store_ != nullptr ? capabilities_of(*full_store_) : StoreCapabilities{};
    return asked;
}

void FakeHost::log(LogLevel level, std::string_view component, std::string_view message) {
    std::lock_guard lock(mutex_);
    lines_.push_back({level, std::string(component), std::string(message)});
}

void FakeHost::log_with(LogLevel level, std::string_view component, std::string_view message,
                        const LogContext& context) {
    log(level, component, message);
    std::lock_guard lock(mutex_);
    contexts_.emplace_back(std::string(message), std::string(context.request_id));
}

std::int64_t FakeHost::expire_now(const std::string& source) {
    if (expire_answer) return expire_answer(source);
    if (full_store_ != nullptr) return full_store_->expire(clock_.today(), source);
    return 0;
}

void FakeHost::emit_event(std::string_view event_type, EventSeverity severity,
                          std::string_view data_json) {
    std::lock_guard lock(mutex_);
    SystemEvent event{
        std::string(event_type) + ":" + std::to_string(emitted_.size() + 1),
        std::string(event_type), severity, std::string(data_json),
        std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now())};
    emitted_.push_back(event);
    queued_.push_back(std::move(event));
}

EventBatch FakeHost::take_events(std::size_t max) {
    std::lock_guard lock(mutex_);
    EventBatch batch;
    const auto count = static_cast<std::ptrdiff_t>(std::min(max, queued_.size()));
    batch.events.assign(queued_.begin(), queued_.begin() + count);
    queued_.erase(queued_.begin(), queued_.begin() + count);
    return batch;
}

bool FakeHost::logged(std::string_view needle) const {
    std::lock_guard lock(mutex_);
    return std::any_of(lines_.begin(), lines_.end(), [&](const LogLine& line) {
        return line.message.find(needle) != std::string::npos;
    });
}

bool FakeHost::logged(LogLevel level, std::string_view needle) const {
    std::lock_guard lock(mutex_);
    return std::any_of(lines_.begin(), lines_.end(), [&](const LogLine& line) {
        return line.level == level && line.message.find(needle) != std::string::npos;
    });
}

std::vector<std::string> FakeHost::lines(LogLevel at_least) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const LogLine& line : lines_) {
        if (line.level >= at_least) out.push_back(line.component + ": " + line.message);
    }
    return out;
}

std::size_t FakeHost::count_containing(std::string_view text) const {
    const std::vector<std::string> all = lines();
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const auto& line) {
        return line.find(text) != std::string::npos;
    }));
}

std::string FakeHost::log_text() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const LogLine& line : lines_) text.append(line.message).append("\n");
    return text;
}

std::vector<std::pair<std::string, std::string>> FakeHost::logged_contexts() const {
    std::lock_guard lock(mutex_);
    return contexts_;
}

void FakeHost::clear_logs() {
    std::lock_guard lock(mutex_);
    lines_.clear();
    contexts_.clear();
}

std::vector<SystemEvent> FakeHost::emitted() const {
    std::lock_guard lock(mutex_);
    return emitted_;
}

std::size_t FakeHost::events_of(std::string_view event_type) const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(emitted_.begin(), emitted_.end(),
                      [&](const SystemEvent& event) { return event.event_type == event_type; }));
}

}  // namespace tradestore::test_support
