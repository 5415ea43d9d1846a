#include "idempotency_key.h"

#include "auth/token_table.h"

namespace tradestore::rest {

bool is_valid_idempotency_key(std::string_view key) {
    if (key.empty() || key.size() > kMaxIdempotencyKeyLength) return false;
    for (const char c : key) {
        if (c < ' ' || c > '~') return false;
    }
    return true;
}

std::string scoped_idempotency_key(std::string_view token_id, std::string_view key) {
    if (token_id.empty()) return std::string(key);
    // 32 hex digits of the token id's hash: a fixed, short prefix whatever the id's length.
    std::string scoped = to_hex(sha256(token_id)).substr(0, 32);
    scoped += ':';
    scoped += key;
    return scoped;
}

std::string request_hash(std::string_view method, std::string_view target,
                         std::string_view token_id, std::string_view body) {
    // Lengths first, so that no two different requests give the same input.
    std::string input;
    input.reserve(64 + method.size() + target.size() + token_id.size() + body.size());
    for (const std::string_view part : {method, target, token_id}) {
        input += std::to_string(part.size());
        input += ':';
        input += part;
        input += '\n';
    }
    input += body;
    return to_hex(sha256(input));
}

}  // namespace tradestore::rest
