#include "jwt_verifier.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>  // the encoding options
#include <Poco/Crypto/RSAKey.h>
#include <Poco/Exception.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>

namespace tradestore::rest {
namespace {

Poco::SharedPtr<Poco::Crypto::RSAKey> load_public_key(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("cannot read the RS256 public key file " + path);
    try {
        return new Poco::Crypto::RSAKey(&in);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("no RSA public key (PEM) in " + path + ": " + e.displayText());
    }
}

// The subject goes into log lines: printable ASCII only, and not too long.
std::string loggable(std::string text) {
    constexpr std::size_t kMaxLength = 64;
    if (text.size() > kMaxLength) text.resize(kMaxLength);
    for (char& c : text)
        if (c < 0x21 || c > 0x7e) c = '?';
    return text;
}

// The bytes of a base64url text without padding, as JWTs carry them; nullopt when malformed.
std::optional<std::string> base64url_decode(std::string_view text) {
    std::istringstream in{std::string(text)};
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    try {
        return std::string(std::istreambuf_iterator<char>(decoder), {});
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

std::string header_algorithm(const std::string& token) {
    try {
        return Poco::JWT::Token(token).getAlgorithm();
    } catch (const Poco::Exception&) {
        return {};  // Poco's verify refuses it with the reason
    }
}

}  // namespace

bool hs256_signature_matches(const std::string& secret, std::string_view token) {
    const std::size_t last_dot = token.rfind('.');
    if (last_dot == std::string_view::npos) return false;
    const std::optional<std::string> presented = base64url_decode(token.substr(last_dot + 1));
    Sha256Digest expected{};
    if (!presented || presented->size() != expected.size()) return false;
    unsigned int length = 0;
    const std::string_view signed_part = token.substr(0, last_dot);
    if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
             expected.data(), &length) == nullptr ||
        length != expected.size()) {
        return false;
    }
    Sha256Digest given{};
    std::copy(presented->begin(), presented->end(), given.begin());
    return constant_time_equal(expected, given);
}

JwtVerifier::JwtVerifier(const JwtConfig& config)
    : config_(config), signer_(std::make_unique<Poco::JWT::Signer>()) {
    // setAlgorithms replaces Poco's default (HS256): only the configured ones verify.
    signer_->setAlgorithms(
        std::set<std::string>(config.algorithms.begin(), config.algorithms.end()));
    if (config.allows("HS256")) signer_->setHMACKey(config.hs256_secret);
    if (config.allows("RS256")) signer_->setRSAKey(load_public_key(config.rs256_public_key_file));
}

JwtVerifier::~JwtVerifier() = default;

bool JwtVerifier::looks_like_jwt(std::string_view token) {
    return std::count(token.begin(), token.end(), '.') == 2;
}

std::optional<Identity> JwtVerifier::verify(const std::string& token, std::string& reason,
                                            Poco::Timestamp now) const {
    // Poco compares an HS256 signature only once it is known to be right (see above).
    if (config_.allows("HS256") && header_algorithm(token) == "HS256" &&
        !hs256_signature_matches(config_.hs256_secret, token)) {
        reason = "jwt: HS256 signature does not match";
        return std::nullopt;
    }
    Poco::JWT::Token verified;
    try {
        // Checks the header's alg against the allow-list, then the signature.
        verified = signer_->verify(token);
    } catch (const Poco::Exception& e) {
        reason = "jwt: " + e.displayText();
        return std::nullopt;
    } catch (const std::exception& e) {
        reason = std::string("jwt: ") + e.what();
        return std::nullopt;
    }
    // RFC 7515, 4.1.11: extensions named critical must be understood; we understand none.
    if (verified.header().has("crit")) {
        reason = "jwt: crit names header extensions this server does not support";
        return std::nullopt;
    }
    const Poco::JSON::Object& claims = verified.payload();
    try {
        if (!claims.has(Poco::JWT::Token::CLAIM_EXPIRATION)) {
            reason = "jwt: no exp claim";
            return std::nullopt;
        }
        // RFC 7519, 2: a NumericDate is a JSON number; Poco would read "9999999999" as one.
        for (const std::string& name :
             {Poco::JWT::Token::CLAIM_EXPIRATION, Poco::JWT::Token::CLAIM_NOT_BEFORE,
              Poco::JWT::Token::CLAIM_ISSUED_AT}) {
            if (claims.has(name) && !claims.get(name).isNumeric()) {
                reason = "jwt: claim " + name + " is not a number";
                return std::nullopt;
            }
        }
        if (verified.getExpiration() <= now) {
            reason = "jwt: expired";
            return std::nullopt;
        }
        if (claims.has(Poco::JWT::Token::CLAIM_NOT_BEFORE) && verified.getNotBefore() > now) {
            reason = "jwt: not valid yet (nbf)";
            return std::nullopt;
        }
        if (verified.getIssuer() != config_.issuer) {
            reason = "jwt: issuer '" + verified.getIssuer() + "' is not the configured one";
            return std::nullopt;
        }
        if (!config_.audience.empty()) {
            const std::vector<std::string> audience = verified.getAudience();
            if (std::find(audience.begin(), audience.end(), config_.audience) == audience.end()) {
                reason = "jwt: audience does not include " + config_.audience;
                return std::nullopt;
            }
        }
        const std::string role_name = claims.optValue<std::string>(config_.role_claim, "");
        const std::optional<Role> role = parse_role(role_name);
        if (!role) {
            reason = "jwt: claim " + config_.role_claim + " names no known role";
            return std::nullopt;
        }
        std::string subject = verified.getSubject();
        if (subject.empty()) subject = verified.getId();
        return Identity{"jwt:" + (subject.empty() ? std::string("-") : loggable(subject)), *role};
    } catch (const Poco::Exception& e) {
        // A claim of the wrong JSON type (e.g. "exp":"soon").
        reason = "jwt: malformed claim: " + e.displayText();
    } catch (const std::exception& e) {
        reason = std::string("jwt: malformed claim: ") + e.what();
    }
    return std::nullopt;
}

}  // namespace tradestore::rest
