#include "token_table.h"

#include <Poco/SHA2Engine.h>
#include <openssl/crypto.h>

#include <algorithm>

namespace tradestore::rest {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::string_view kSha256Scheme = "sha256";

}  // namespace

Sha256Digest sha256(std::string_view text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text.data(), static_cast<unsigned>(text.size()));
    const Poco::DigestEngine::Digest& bytes = engine.digest();
    Sha256Digest digest{};
    for (std::size_t i = 0; i < digest.size() && i < bytes.size(); ++i) digest[i] = bytes[i];
    return digest;
}

std::string to_hex(const Sha256Digest& digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(digest.size() * 2);
    for (unsigned char byte : digest) {
        hex.push_back(kDigits[byte >> 4]);
        hex.push_back(kDigits[byte & 0x0f]);
    }
    return hex;
}

std::optional<Sha256Digest> digest_from_hex(std::string_view hex) {
    Sha256Digest digest{};
    if (hex.size() != digest.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < digest.size(); ++i) {
        const int high = hex_digit(hex[2 * i]);
        const int low = hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        digest[i] = static_cast<unsigned char>(high * 16 + low);
    }
    return digest;
}

bool constant_time_equal(const Sha256Digest& a, const Sha256Digest& b) {
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::optional<TokenEntry> parse_token_setting(std::string_view id, std::string_view value,
                                              std::string& problem) {
    const std::size_t first = value.find(':');
    const std::size_t second = first == std::string_view::npos ? first : value.find(':', first + 1);
    if (second == std::string_view::npos) {
        problem = "expected <role>:sha256:<64 hex digits>";
        return std::nullopt;
    }
    const std::string_view role_name = value.substr(0, first);
    const std::optional<Role> role = parse_role(role_name);
    if (!role) {
        // The value is a secret: echo the role only when it reads like a mistyped role name,
        // not like the start of a token pasted here by mistake.
        const bool shown = !role_name.empty() && role_name.size() <= 12 &&
                           std::all_of(role_name.begin(), role_name.end(),
                                       [](char c) { return c >= 'a' && c <= 'z'; });
        problem = (shown ? "unknown role '" + std::string(role_name) + "'" : "unknown role") +
                  "; expected reader, writer, admin or metrics";
        return std::nullopt;
    }
    if (value.substr(first + 1, second - first - 1) != kSha256Scheme) {
        problem =
            "expected <role>:sha256:<64 hex digits> (only SHA-256 hashes are accepted, "
            "never a token itself)";
        return std::nullopt;
    }
    const std::optional<Sha256Digest> digest = digest_from_hex(value.substr(second + 1));
    if (!digest) {
        problem = "the SHA-256 must be 64 hex digits (e.g. from: printf %s \"$TOKEN\" | sha256sum)";
        return std::nullopt;
    }
    return TokenEntry{{std::string(id), *role}, *digest};
}

std::optional<Identity> TokenTable::find(std::string_view token) const {
    const Sha256Digest presented = sha256(token);
    const TokenEntry* match = nullptr;
    for (const TokenEntry& entry : entries_) {
        // No break: the time does not depend on where (or whether) the token matches.
        if (constant_time_equal(presented, entry.digest) && match == nullptr) match = &entry;
    }
    if (match == nullptr) return std::nullopt;
    return match->identity;
}

}  // namespace tradestore::rest
