// Where the kernel's writer threads leave the outcome of a kafka-source batch for the poll
// thread, which alone touches the consumer. Shared by the batches' callbacks, so a callback
// that runs late (after a revoke gave up waiting) finds it alive.
#pragma once

#include <tradestore/host.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "message_batch.h"

namespace tradestore::kafka {

struct BatchCompletion {
    TopicPartition partition;
    std::uint64_t batch_id = 0;
    IngestResult result;
};

class CompletionQueue {
  public:
    // Called after every push, so a poll that waits for messages returns at once.
    void set_wake(std::function<void()> wake);
    void push(BatchCompletion completion);
    std::optional<BatchCompletion> try_pop();
    std::optional<BatchCompletion> pop_for(std::chrono::milliseconds timeout);

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<BatchCompletion> completions_;
    std::function<void()> wake_;
};

}  // namespace tradestore::kafka
