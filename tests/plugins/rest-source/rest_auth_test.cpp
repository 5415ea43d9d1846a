// Bearer tokens and JWTs of the rest-source: hashing, constant-time comparison, the token
// setting's syntax, the secure-default config check, the per-route decisions and JWT
// verification with its refusals (unsigned, wrong key, algorithm confusion, claims).
#include <Poco/Base64Encoder.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JSON/Array.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "auth/auth_config.h"
#include "auth/authenticator.h"
#include "auth/jwt_verifier.h"
#include "auth/token_table.h"
#include "rest_config.h"
#include "rest_server.h"

namespace tradestore::rest {
namespace {

using namespace std::chrono_literals;

// sha256("abc"), FIPS 180-2 appendix B.1.
constexpr std::string_view kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string token_value(std::string_view role, std::string_view token) {
    return std::string(role) + ":sha256:" + to_hex(sha256(token));
}

TEST(TokenHashing, Sha256MatchesTheStandardVector) {
    EXPECT_EQ(to_hex(sha256("abc")), kAbcSha256);
    const auto parsed = digest_from_hex(kAbcSha256);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, sha256("abc"));
    EXPECT_FALSE(digest_from_hex(kAbcSha256.substr(1)));
    EXPECT_FALSE(digest_from_hex(std::string(63, 'a') + "g"));
}

TEST(TokenHashing, ConstantTimeEqualComparesEveryByte) {
    const Sha256Digest a = sha256("token-a");
    Sha256Digest first = a;
    first.front() ^= 1;
    Sha256Digest last = a;
    last.back() ^= 0x80;
    EXPECT_TRUE(constant_time_equal(a, a));
    EXPECT_FALSE(constant_time_equal(a, first));
    EXPECT_FALSE(constant_time_equal(a, last));
    EXPECT_FALSE(constant_time_equal(a, sha256("token-b")));
}

TEST(TokenSetting, ParsesRoleSchemeAndHash) {
    std::string problem;
    const std::string upper = "writer:sha256:" + std::string(
                                                     "BA7816BF8F01CFEA414140DE5DAE2223"
                                                     "B00361A396177A9CB410FF61F20015AD");
    const auto entry = parse_token_setting("ci", upper, problem);
    ASSERT_TRUE(entry) << problem;
    EXPECT_EQ(entry->identity.id, "ci");
    EXPECT_EQ(entry->identity.role, Role::Writer);
    EXPECT_EQ(entry->digest, sha256("abc"));

    const std::pair<std::string, std::string> bad[] = {
        {"owner:sha256:" + std::string(kAbcSha256), "unknown role 'owner'"},
        {"reader:plain:s3cret", "only SHA-256 hashes"},
        {"reader:sha256:abc", "64 hex digits"},
        {"reader:sha256:" + std::string(63, 'a') + "z", "64 hex digits"},
        {"reader", "expected <role>:sha256:"},
        {std::string(kAbcSha256), "expected <role>:sha256:"},
    };
    for (const auto& [value, expected] : bad) {
        problem.clear();
        EXPECT_FALSE(parse_token_setting("x", value, problem)) << value;
        EXPECT_NE(problem.find(expected), std::string::npos) << value << " -> " << problem;
    }
}

// auth.tokens.* values are secrets, and a problem line goes to stderr unmasked: when the value
// is a raw token by mistake, its text before a colon must not be echoed as the "role".
TEST(TokenSetting, AnUnknownRoleIsEchoedOnlyWhenItLooksLikeARoleName) {
    std::string problem;
    EXPECT_FALSE(parse_token_setting("x", "ghp_S3cretToken9x:abc:def", problem));
    EXPECT_EQ(problem.find("S3cret"), std::string::npos) << problem;
    EXPECT_NE(problem.find("unknown role"), std::string::npos) << problem;
    problem.clear();
    EXPECT_FALSE(parse_token_setting("x", "reder:sha256:" + std::string(kAbcSha256), problem));
    EXPECT_NE(problem.find("unknown role 'reder'"), std::string::npos) << "a typo is shown";
}

TEST(TokenTableTest, FindsTheTokenByItsHashOnly) {
    TokenTable table;
    std::string problem;
    table.add(*parse_token_setting("alice", token_value("reader", "tok-alice"), problem));
    table.add(*parse_token_setting("bob", token_value("admin", "tok-bob"), problem));
    const auto bob = table.find("tok-bob");
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->id, "bob");
    EXPECT_EQ(bob->role, Role::Admin);
    EXPECT_EQ(table.find("tok-alice")->id, "alice");
    EXPECT_FALSE(table.find("tok-bo")) << "another length";
    EXPECT_FALSE(table.find("tok-boc")) << "the same length, one byte off";
    EXPECT_FALSE(table.find("tok-bob ")) << "one byte more";
    EXPECT_FALSE(table.find(""));
    EXPECT_FALSE(table.find(to_hex(sha256("tok-bob")))) << "the hash itself is no token";
}

TEST(BearerHeader, TakesOnlyTheBearerScheme) {
    EXPECT_EQ(bearer_token("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
    EXPECT_EQ(bearer_token("BEARER x.y.z"), "x.y.z");
    EXPECT_EQ(bearer_token("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "");
    EXPECT_EQ(bearer_token("Bearer"), "");
    EXPECT_EQ(bearer_token("Bearer "), "");
    EXPECT_EQ(bearer_token("Bearerabc"), "");
    EXPECT_EQ(bearer_token(""), "");
}

Settings settings_of(std::map<std::string, std::string, std::less<>> values) {
    return Settings(std::move(values));
}

std::string problems_text(const std::vector<SettingProblem>& problems) {
    std::string text;
    for (const auto& p : problems) text += p.key + ": " + p.problem + "\n";
    return text;
}

TEST(AuthSettings, SecureByDefaultOnNonLoopbackAddresses) {
    EXPECT_TRUE(check_settings(settings_of({})).empty()) << "loopback with auth off is fine";
    for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
        EXPECT_TRUE(check_settings(settings_of({{"host", host}})).empty()) << host;
    }
    for (const char* host : {"0.0.0.0", "::", "10.1.2.3", "127.example.com", "tradestore"}) {
        const auto problems = check_settings(settings_of({{"host", host}}));
        ASSERT_EQ(problems.size(), 1u) << host;
        EXPECT_EQ(problems[0].key, "host");
        EXPECT_NE(problems[0].problem.find("allow_anonymous = true"), std::string::npos);
    }
    EXPECT_TRUE(
        check_settings(settings_of({{"host", "0.0.0.0"}, {"allow_anonymous", "true"}})).empty());
    EXPECT_TRUE(check_settings(settings_of({{"host", "0.0.0.0"},
                                            {"auth.tokens.ops", token_value("admin", "t")}}))
                    .empty());
}

// The check above runs on the new file's host, but a reload does not move the socket: a file
// that names a loopback host and drops every token must not turn authentication off on a port
// still listening on every interface.
TEST(AuthSettings, AReloadCannotTurnAuthOffOnTheAddressStillInUse) {
    RestConfig running = default_config();
    running.host = "0.0.0.0";
    running.auth.tokens.push_back({{"ops", Role::Admin}, sha256("t")});
    RestSource source(running, settings_of({{"host", "0.0.0.0"},
                                            {"auth.tokens.ops", token_value("admin", "t")}}));
    const Settings no_auth = settings_of({{"host", "127.0.0.1"}});
    ASSERT_TRUE(check_settings(no_auth).empty()) << "the file alone looks fine";
    try {
        source.reload(no_auth);
        ADD_FAILURE() << "reload turned authentication off on 0.0.0.0";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("0.0.0.0"), std::string::npos) << e.what();
    }
    // Positive controls: knowingly open, or tokens kept, reloads.
    EXPECT_NO_THROW(
        source.reload(settings_of({{"host", "127.0.0.1"}, {"allow_anonymous", "true"}})));
    EXPECT_NO_THROW(source.reload(settings_of({{"auth.tokens.ops", token_value("admin", "t")}})));

    RestConfig loopback = default_config();
    RestSource local(loopback);
    EXPECT_NO_THROW(local.reload(settings_of({}))) << "loopback with auth off stays fine";
}

TEST(AuthSettings, EachProblemNamesItsKey) {
    const auto problems = check_settings(settings_of({
        {"auth.tokens.bad", "root:sha256:00"},
        {"auth.jwt.algorithms", "HS256, none"},
        {"auth.jwt.hs256_secret", "short"},
        {"metrics_token", "m"},
        {"auth.open_metrics", "true"},
    }));
    const std::string text = problems_text(problems);
    EXPECT_NE(text.find("auth.tokens.bad: unknown role 'root'"), std::string::npos) << text;
    EXPECT_NE(text.find("auth.jwt.algorithms: 'none' is not accepted"), std::string::npos) << text;
    EXPECT_NE(text.find("auth.jwt.hs256_secret: HS256 is allowed"), std::string::npos) << text;
    EXPECT_NE(text.find("auth.jwt.issuer: "), std::string::npos) << text;
    EXPECT_NE(text.find("auth.open_metrics: contradicts metrics_token"), std::string::npos) << text;
    EXPECT_THROW(config_from_settings(settings_of({{"auth.tokens.bad", "root:sha256:00"}})),
                 std::invalid_argument);
}

AuthConfig token_config(std::initializer_list<std::pair<const char*, std::string>> tokens) {
    std::map<std::string, std::string, std::less<>> values;
    for (const auto& [id, value] : tokens) values[std::string(kTokenKeyPrefix) + id] = value;
    std::vector<SettingProblem> problems;
    AuthConfig config = auth_config_from_settings(settings_of(values), problems);
    EXPECT_TRUE(problems.empty()) << problems_text(problems);
    return config;
}

TEST(AuthenticatorTest, WithoutAuthEverythingIsOpen) {
    const Authenticator open(AuthConfig{}, "");
    for (Access access : {Access::Open, Access::Probe, Access::Metrics, Access::Reader,
                          Access::Writer, Access::Admin}) {
        EXPECT_EQ(open.decide(access, "").outcome, AuthOutcome::Allowed);
    }
    EXPECT_FALSE(open.api_protected());
}

TEST(AuthenticatorTest, RolesNestAndRefusalsSayWhy) {
    const Authenticator auth(token_config({{"r", token_value("reader", "tok-r")},
                                           {"w", token_value("writer", "tok-w")},
                                           {"a", token_value("admin", "tok-a")},
                                           {"m", token_value("metrics", "tok-m")}}),
                             "");
    struct Case {
        Access access;
        const char* header;
        AuthOutcome expected;
        const char* token_id;
    };
    const Case cases[] = {
        {Access::Reader, "", AuthOutcome::MissingToken, "-"},
        {Access::Reader, "Bearer nope", AuthOutcome::InvalidToken, "-"},
        {Access::Reader, "Bearer tok-r", AuthOutcome::Allowed, "r"},
        {Access::Writer, "Bearer tok-r", AuthOutcome::InsufficientRole, "r"},
        {Access::Writer, "Bearer tok-w", AuthOutcome::Allowed, "w"},
        {Access::Admin, "Bearer tok-w", AuthOutcome::InsufficientRole, "w"},
        {Access::Admin, "Bearer tok-a", AuthOutcome::Allowed, "a"},
        {Access::Reader, "Bearer tok-a", AuthOutcome::Allowed, "a"},
        {Access::Reader, "Bearer tok-m", AuthOutcome::InsufficientRole, "m"},
        {Access::Metrics, "", AuthOutcome::MissingToken, "-"},
        {Access::Metrics, "Bearer tok-m", AuthOutcome::Allowed, "m"},
        {Access::Metrics, "Bearer tok-r", AuthOutcome::Allowed, "r"},
        {Access::Probe, "", AuthOutcome::Allowed, "-"},
        {Access::Open, "Bearer nope", AuthOutcome::Allowed, "-"},
    };
    for (const Case& c : cases) {
        const AuthDecision decision = auth.decide(c.access, c.header);
        EXPECT_EQ(decision.outcome, c.expected) << c.header << " for " << least_role(c.access);
        EXPECT_EQ(decision.token_id, c.token_id) << c.header;
    }
}

TEST(AuthenticatorTest, ProbesAndMetricsFollowTheirSettings) {
    AuthConfig config = token_config({{"r", token_value("reader", "tok-r")}});
    config.open_probes = false;
    config.open_metrics = true;
    const Authenticator auth(config, "");
    EXPECT_EQ(auth.decide(Access::Probe, "").outcome, AuthOutcome::MissingToken);
    EXPECT_EQ(auth.decide(Access::Probe, "Bearer tok-r").outcome, AuthOutcome::Allowed);
    EXPECT_EQ(auth.decide(Access::Metrics, "").outcome, AuthOutcome::Allowed);

    // The older metrics_token alone protects /metrics and nothing else.
    const Authenticator legacy(AuthConfig{}, "m-secret");
    EXPECT_EQ(legacy.decide(Access::Metrics, "").outcome, AuthOutcome::MissingToken);
    const AuthDecision scraped = legacy.decide(Access::Metrics, "Bearer m-secret");
    EXPECT_EQ(scraped.outcome, AuthOutcome::Allowed);
    EXPECT_EQ(scraped.token_id, "metrics_token");
    EXPECT_EQ(legacy.decide(Access::Admin, "").outcome, AuthOutcome::Allowed);
}

// ------------------------------------------------------------------------------------- JWT

const std::string kHmacKey = "0123456789abcdef0123456789abcdef-hs256";
constexpr const char* kIssuer = "https://issuer.example";

class JwtTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        rsa_ = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048,
                                        Poco::Crypto::RSAKey::EXP_LARGE);
        other_rsa_ = new Poco::Crypto::RSAKey(Poco::Crypto::RSAKey::KL_2048,
                                              Poco::Crypto::RSAKey::EXP_LARGE);
        std::random_device random;
        dir_ =
            std::filesystem::temp_directory_path() / ("tradestore-jwt-" + std::to_string(random()));
        std::filesystem::create_directories(dir_);
        rsa_->save((dir_ / "public.pem").string());
    }
    static void TearDownTestSuite() {
        std::filesystem::remove_all(dir_);
        rsa_.reset();
        other_rsa_.reset();
    }

    static JwtConfig config(std::vector<std::string> algorithms) {
        JwtConfig jwt;
        jwt.algorithms = std::move(algorithms);
        jwt.hs256_secret = kHmacKey;
        jwt.rs256_public_key_file = (dir_ / "public.pem").string();
        jwt.issuer = kIssuer;
        return jwt;
    }

    static Poco::JWT::Token claims(const std::string& role = "writer",
                                   Poco::Timestamp::TimeDiff expires_in = 3600LL * 1000000) {
        Poco::JWT::Token token;
        token.setType("JWT");
        token.setSubject("alice");
        token.setIssuer(kIssuer);
        token.setExpiration(Poco::Timestamp() + expires_in);
        token.payload().set("role", role);
        return token;
    }

    static std::string hs256(Poco::JWT::Token token, const std::string& key = kHmacKey) {
        return Poco::JWT::Signer(key).sign(token, Poco::JWT::Signer::ALGO_HS256);
    }
    static std::string rs256(Poco::JWT::Token token,
                             const Poco::SharedPtr<Poco::Crypto::RSAKey>& key) {
        return Poco::JWT::Signer(key).sign(token, Poco::JWT::Signer::ALGO_RS256);
    }

    static std::optional<Identity> verify(const JwtConfig& jwt, const std::string& token,
                                          std::string* reason_out = nullptr) {
        std::string reason;
        auto identity = JwtVerifier(jwt).verify(token, reason);
        if (reason_out) *reason_out = reason;
        return identity;
    }

    static inline Poco::SharedPtr<Poco::Crypto::RSAKey> rsa_;
    static inline Poco::SharedPtr<Poco::Crypto::RSAKey> other_rsa_;
    static inline std::filesystem::path dir_;
};

TEST_F(JwtTest, ValidTokensGiveSubjectAndRole) {
    const auto hs = verify(config({"HS256"}), hs256(claims()));
    ASSERT_TRUE(hs);
    EXPECT_EQ(hs->id, "jwt:alice");
    EXPECT_EQ(hs->role, Role::Writer);
    const auto rs = verify(config({"RS256"}), rs256(claims("admin"), rsa_));
    ASSERT_TRUE(rs);
    EXPECT_EQ(rs->role, Role::Admin);
    EXPECT_TRUE(verify(config({"HS256", "RS256"}), rs256(claims(), rsa_)));
    EXPECT_TRUE(verify(config({"HS256", "RS256"}), hs256(claims())));
}

TEST_F(JwtTest, WrongKeysAreRefused) {
    std::string reason;
    EXPECT_FALSE(verify(config({"HS256"}), hs256(claims(), kHmacKey + "x"), &reason));
    EXPECT_NE(reason.find("jwt:"), std::string::npos);
    EXPECT_FALSE(verify(config({"RS256"}), rs256(claims(), other_rsa_)));
    // A tampered payload under a genuine signature.
    std::string token = hs256(claims("reader"));
    const std::string admin_payload = hs256(claims("admin"));
    const std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    const std::size_t a1 = admin_payload.find('.'), a2 = admin_payload.rfind('.');
    token =
        token.substr(0, dot1 + 1) + admin_payload.substr(a1 + 1, a2 - a1 - 1) + token.substr(dot2);
    EXPECT_FALSE(verify(config({"HS256"}), token));
}

// Poco 1.11 compares HS256 signatures with ==, so the verifier checks them first itself in
// constant time; this pins down that check's answers (the timing is not observable here).
TEST_F(JwtTest, Hs256SignaturesAreCheckedBeforePocoComparesThem) {
    const std::string token = hs256(claims("admin"));
    EXPECT_TRUE(hs256_signature_matches(kHmacKey, token));
    EXPECT_FALSE(hs256_signature_matches(kHmacKey + "x", token));
    const std::size_t dot = token.rfind('.');
    for (const std::size_t at : {dot + 1, token.size() - 2}) {
        std::string forged = token;
        forged[at] = forged[at] == 'A' ? 'B' : 'A';
        EXPECT_FALSE(hs256_signature_matches(kHmacKey, forged)) << at;
        std::string reason;
        EXPECT_FALSE(verify(config({"HS256"}), forged, &reason)) << at;
        EXPECT_EQ(reason, "jwt: HS256 signature does not match") << at;
    }
    EXPECT_FALSE(hs256_signature_matches(kHmacKey, token.substr(0, token.size() - 4)))
        << "a short signature";
    EXPECT_FALSE(hs256_signature_matches(kHmacKey, token + "AAAA")) << "a long one";
    EXPECT_FALSE(hs256_signature_matches(kHmacKey, token.substr(0, dot) + ".!!!!")) << "not base64";
    EXPECT_FALSE(hs256_signature_matches(kHmacKey, "no-dots"));
}

std::string base64url(const std::string& text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    encoder << text;
    encoder.close();
    return out.str();
}

TEST_F(JwtTest, UnsignedTokensAreRefused) {
    const std::string payload = std::string(R"({"sub":"mallory","iss":")") + kIssuer +
                                R"(","exp":4102444800,"role":"admin"})";
    const std::string unsigned_token =
        base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(payload) + ".";
    // Control: the same token signed properly passes, so only the missing signature differs.
    Poco::JWT::Token signed_copy(unsigned_token.substr(0, unsigned_token.size() - 1) + ".x");
    EXPECT_TRUE(verify(config({"HS256"}), hs256(signed_copy)));
    std::string reason;
    EXPECT_FALSE(verify(config({"HS256", "RS256"}), unsigned_token, &reason));
    EXPECT_NE(reason.find("none"), std::string::npos) << reason;
    EXPECT_FALSE(verify(config({"HS256"}), unsigned_token + "c2ln", &reason));
}

TEST_F(JwtTest, AlgorithmConfusionIsRefused) {
    // HS256 signed with the RSA public key's PEM as the HMAC secret: the classic confusion.
    std::ifstream pem(dir_ / "public.pem");
    const std::string public_pem((std::istreambuf_iterator<char>(pem)), {});
    std::string reason;
    EXPECT_FALSE(verify(config({"RS256"}), hs256(claims("admin"), public_pem), &reason));
    EXPECT_NE(reason.find("HS256"), std::string::npos) << reason;
    // And an HS256 token with the real HS256 key, sent to an RS256-only config.
    EXPECT_FALSE(verify(config({"RS256"}), hs256(claims("admin"))));
    EXPECT_FALSE(verify(config({"HS256"}), rs256(claims("admin"), rsa_)));
}

// RFC 7515, 4.1.11: a "crit" header names extensions the recipient must understand or refuse
// the token; this verifier understands none (Poco ignores the field).
TEST_F(JwtTest, CriticalHeaderExtensionsAreRefused) {
    Poco::JWT::Token token = claims("admin");
    Poco::JSON::Array::Ptr critical = new Poco::JSON::Array;
    critical->add(std::string("exp-policy"));
    token.header().set("crit", critical);
    token.header().set("exp-policy", std::string("ignore-exp"));
    std::string reason;
    EXPECT_FALSE(verify(config({"HS256"}), hs256(token), &reason));
    EXPECT_EQ(reason, "jwt: crit names header extensions this server does not support");
    EXPECT_TRUE(verify(config({"HS256"}), hs256(claims("admin")))) << "control: no crit";
}

TEST_F(JwtTest, ClaimsAreChecked) {
    std::string reason;
    EXPECT_FALSE(verify(config({"HS256"}), hs256(claims("writer", -1000000)), &reason));
    EXPECT_EQ(reason, "jwt: expired");

    Poco::JWT::Token no_exp;
    no_exp.setIssuer(kIssuer);
    no_exp.payload().set("role", std::string("admin"));
    EXPECT_FALSE(verify(config({"HS256"}), hs256(no_exp), &reason));
    EXPECT_EQ(reason, "jwt: no exp claim");

    Poco::JWT::Token other_issuer = claims();
    other_issuer.setIssuer("https://evil.example");
    EXPECT_FALSE(verify(config({"HS256"}), hs256(other_issuer), &reason));
    EXPECT_NE(reason.find("issuer"), std::string::npos);

    JwtConfig with_audience = config({"HS256"});
    with_audience.audience = "tradestore";
    EXPECT_FALSE(verify(with_audience, hs256(claims()), &reason));
    Poco::JWT::Token for_us = claims();
    for_us.setAudience(std::vector<std::string>{"other", "tradestore"});
    EXPECT_TRUE(verify(with_audience, hs256(for_us), &reason)) << reason;

    EXPECT_FALSE(verify(config({"HS256"}), hs256(claims("root")), &reason));
    EXPECT_NE(reason.find("role"), std::string::npos);

    Poco::JWT::Token not_yet = claims();
    not_yet.setNotBefore(Poco::Timestamp() + 3600LL * 1000000);
    EXPECT_FALSE(verify(config({"HS256"}), hs256(not_yet), &reason));

    for (const std::string claim : {"exp", "nbf", "iat"}) {
        Poco::JWT::Token as_text = claims();
        as_text.payload().set(claim, std::string("9999999999"));  // a number in a string
        EXPECT_FALSE(verify(config({"HS256"}), hs256(as_text), &reason)) << claim;
        EXPECT_EQ(reason, "jwt: claim " + claim + " is not a number");
    }
    Poco::JWT::Token issued = claims();
    issued.setIssuedAt(Poco::Timestamp());
    EXPECT_TRUE(verify(config({"HS256"}), hs256(issued), &reason)) << reason << " (control)";

    EXPECT_FALSE(verify(config({"HS256"}), "not.a.jwt", &reason));
    EXPECT_FALSE(verify(config({"HS256"}), "..", &reason));
}

TEST_F(JwtTest, AuthenticatorUsesJwtForThreePartTokens) {
    AuthConfig auth;
    auth.jwt = config({"HS256"});
    const Authenticator authenticator(auth, "");
    const AuthDecision writer = authenticator.decide(Access::Writer, "Bearer " + hs256(claims()));
    EXPECT_EQ(writer.outcome, AuthOutcome::Allowed);
    EXPECT_EQ(writer.token_id, "jwt:alice");
    EXPECT_EQ(authenticator.decide(Access::Admin, "Bearer " + hs256(claims())).outcome,
              AuthOutcome::InsufficientRole);
    EXPECT_EQ(
        authenticator.decide(Access::Reader, "Bearer " + hs256(claims(), "wrong-key")).outcome,
        AuthOutcome::InvalidToken);
}

TEST_F(JwtTest, AnUnreadableKeyFileIsAConfigError) {
    JwtConfig jwt = config({"RS256"});
    jwt.rs256_public_key_file = (dir_ / "missing.pem").string();
    EXPECT_THROW(JwtVerifier{jwt}, std::invalid_argument);
    std::ofstream((dir_ / "garbage.pem").string()) << "not a key\n";
    jwt.rs256_public_key_file = (dir_ / "garbage.pem").string();
    EXPECT_THROW(JwtVerifier{jwt}, std::invalid_argument);
}

}  // namespace
}  // namespace tradestore::rest
