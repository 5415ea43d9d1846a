// Polls a condition until it holds or a time limit passes: for tests that wait on another
// thread or process without a signal to wait on. Returns the condition's last answer.
#pragma once

#include <chrono>
#include <thread>

namespace tradestore::test_support {

template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds within = std::chrono::seconds(5)) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return condition();
}

}  // namespace tradestore::test_support
