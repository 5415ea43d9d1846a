// The Idempotency-Key request header (IETF httpapi draft): its syntax, the key as the store
// keeps it (scoped by the caller), and the hash that tells a retry from a reuse of the key.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tradestore::rest {

inline constexpr std::string_view kIdempotencyKeyHeader = "Idempotency-Key";
inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;

// 1..255 printable ASCII characters (space to tilde).
bool is_valid_idempotency_key(std::string_view key);

// The key as stored: a caller's keys never meet another caller's (with authentication on,
// the token id's hash prefixes it; without, every caller shares one space).
std::string scoped_idempotency_key(std::string_view token_id, std::string_view key);

// SHA-256 (hex) of everything that makes the request what it is: method, target, the caller
// and the body. The same key with another hash is a reuse of the key for another request.
std::string request_hash(std::string_view method, std::string_view target,
                         std::string_view token_id, std::string_view body);

}  // namespace tradestore::rest
