#include "completion_queue.h"

#include <utility>

namespace tradestore::kafka {

void CompletionQueue::set_wake(std::function<void()> wake) {
    std::lock_guard lock(mutex_);
    wake_ = std::move(wake);
}

void CompletionQueue::push(BatchCompletion completion) {
    std::lock_guard lock(mutex_);
    completions_.push_back(std::move(completion));
    ready_.notify_one();
    if (wake_) wake_();
}

std::optional<BatchCompletion> CompletionQueue::try_pop() {
    std::lock_guard lock(mutex_);
    if (completions_.empty()) return std::nullopt;
    BatchCompletion completion = std::move(completions_.front());
    completions_.pop_front();
    return completion;
}

std::optional<BatchCompletion> CompletionQueue::pop_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!ready_.wait_for(lock, timeout, [this] { return !completions_.empty(); }))
        return std::nullopt;
    BatchCompletion completion = std::move(completions_.front());
    completions_.pop_front();
    return completion;
}

}  // namespace tradestore::kafka
