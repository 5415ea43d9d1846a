#include "request_id.h"

#include <random>

namespace tradestore::rest {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

bool is_acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    for (char c : id) {
        if (c <= ' ' || c > '~') return false;
    }
    return true;
}

RequestIdGenerator::RequestIdGenerator() {
    std::random_device device;
    std::uint32_t bits = device();
    for (char& c : prefix_) {
        c = kHex[bits & 0xF];
        bits >>= 4;
    }
}

std::string_view RequestIdGenerator::next(char (&buffer)[kBufferSize]) {
    std::uint64_t number = counter_.fetch_add(1, std::memory_order_relaxed) + 1;
    char digits[16];
    std::size_t count = 0;
    do {
        digits[count++] = kHex[number & 0xF];
        number >>= 4;
    } while (number != 0);
    std::size_t length = 0;
    for (char c : prefix_) buffer[length++] = c;
    buffer[length++] = '-';
    while (count > 0) buffer[length++] = digits[--count];
    return {buffer, length};
}

}  // namespace tradestore::rest
