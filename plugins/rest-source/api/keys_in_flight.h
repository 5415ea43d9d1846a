// The idempotency keys of the requests this process is running, so that a retry that arrives
// while the first request is still in flight gets 409 instead of waiting on or racing it.
// (Between processes, the store's claim decides: see IdempotencyKeyInUse.)
#pragma once

#include <mutex>
#include <string>
#include <unordered_set>

namespace tradestore::rest {

class KeysInFlight {
  public:
    class Hold;

    // A hold on the key until the Hold ends; an empty Hold when another request holds it.
    Hold hold(const std::string& key);

  private:
    void release(const std::string& key);

    std::mutex mutex_;
    std::unordered_set<std::string> keys_;
};

class KeysInFlight::Hold {
  public:
    Hold() = default;
    Hold(KeysInFlight& owner, std::string key) : owner_(&owner), key_(std::move(key)) {}
    Hold(Hold&& other) noexcept : owner_(other.owner_), key_(std::move(other.key_)) {
        other.owner_ = nullptr;
    }
    Hold& operator=(Hold&&) = delete;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() {
        if (owner_ != nullptr) owner_->release(key_);
    }

    explicit operator bool() const noexcept { return owner_ != nullptr; }

  private:
    KeysInFlight* owner_ = nullptr;
    std::string key_;
};

}  // namespace tradestore::rest
