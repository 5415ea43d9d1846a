// Static bearer tokens. The config holds only each token's SHA-256 (a leaked config or log does
// not leak a token); a presented token is hashed and its digest compared with every configured
// one in constant time, so neither the answer's timing nor an early exit tells how close a
// guess was.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access_policy.h"

namespace tradestore::rest {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view text);
std::string to_hex(const Sha256Digest& digest);
// 64 hex digits (either case); nullopt otherwise.
std::optional<Sha256Digest> digest_from_hex(std::string_view hex);

// Compares every byte whatever the contents, so the time taken tells nothing.
bool constant_time_equal(const Sha256Digest& a, const Sha256Digest& b);

// Who presented a valid token: the token's id (logged and audited, never the token) and role.
struct Identity {
    std::string id;
    Role role = Role::Reader;
};

struct TokenEntry {
    Identity identity;
    Sha256Digest digest{};
};

// Reads an `auth.tokens.<id>` value, "<role>:sha256:<64 hex digits>"; nullopt and `problem`
// when it is not one.
std::optional<TokenEntry> parse_token_setting(std::string_view id, std::string_view value,
                                              std::string& problem);

class TokenTable {
  public:
    void add(TokenEntry entry) { entries_.push_back(std::move(entry)); }
    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }

    // The identity whose digest matches the token's; every entry is compared.
    std::optional<Identity> find(std::string_view token) const;

  private:
    std::vector<TokenEntry> entries_;
};

}  // namespace tradestore::rest
