// JWT bearer tokens (Poco::JWT). Poco's Signer knows `none` and every HS/RS/ES algorithm; we
// hand it only the configured allow-list (HS256 and/or RS256), so an unsigned token or one
// whose header names another algorithm (e.g. HS256 sent to an RS256-only config) is refused
// before any signature check. After the signature: `exp` is required and must be in the
// future, `nbf` (if any) in the past, `iss` must match, `aud` must contain the configured
// audience when one is set, and the role claim must name a known role.
#pragma once

#include <Poco/Timestamp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth_config.h"
#include "token_table.h"

namespace Poco::JWT {
class Signer;
}

namespace tradestore::rest {

// Whether `token`'s third part is the HS256 signature of its first two under `secret`. The
// comparison takes the same time wherever the bytes differ: Poco 1.11's Signer compares HMACs
// with ==, which stops at the first differing byte and so times how close a forged signature
// is. verify() runs this before Poco ever compares an HS256 signature.
bool hs256_signature_matches(const std::string& secret, std::string_view token);

class JwtVerifier {
  public:
    // Throws std::invalid_argument with one line when the RS256 key file cannot be used.
    explicit JwtVerifier(const JwtConfig& config);
    ~JwtVerifier();

    // The caller's identity ("jwt:<sub>" and the role claim), or nullopt with `reason` (for
    // logs only; clients learn no more than "invalid token").
    std::optional<Identity> verify(const std::string& token, std::string& reason,
                                   Poco::Timestamp now = Poco::Timestamp()) const;

    // Three dot-separated parts: worth trying as a JWT.
    static bool looks_like_jwt(std::string_view token);

  private:
    JwtConfig config_;
    std::unique_ptr<Poco::JWT::Signer> signer_;
};

}  // namespace tradestore::rest
