#include "keys_in_flight.h"

namespace tradestore::rest {

KeysInFlight::Hold KeysInFlight::hold(const std::string& key) {
    std::lock_guard lock(mutex_);
    if (!keys_.insert(key).second) return {};
    return {*this, key};
}

void KeysInFlight::release(const std::string& key) {
    std::lock_guard lock(mutex_);
    keys_.erase(key);
}

}  // namespace tradestore::rest
