// The request framer that stands between the network and the workers: where a request ends,
// and which requests are refused before any parser or handler sees them.
#include "transport/http_framing.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "rest_config.h"

namespace tradestore::rest {
namespace {

using State = Framing::State;

FramingLimits small_limits() {
    FramingLimits limits;
    limits.max_header_bytes = 256;
    limits.max_body_bytes = 32;
    return limits;
}

Framing frame(const std::string& bytes) {
    return frame_request(bytes, small_limits());
}

TEST(HttpFramingTest, RequestWithoutBodyEndsAtTheBlankLine) {
    const std::string request = "GET /api/v1/trades/T1 HTTP/1.1\r\nHost: x\r\n\r\n";
    const Framing framing = frame(request + "GET /next HTTP/1.1\r\nHost: h\r\n");
    EXPECT_EQ(framing.state, State::Complete);
    EXPECT_EQ(framing.header_bytes, request.size());
    EXPECT_EQ(framing.request_bytes, request.size()) << "the pipelined request is not part of it";
}

TEST(HttpFramingTest, EveryPrefixOfARequestIsIncomplete) {
    const std::string request =
        "POST /api/v1/trades HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
    for (std::size_t n = 0; n < request.size(); ++n) {
        EXPECT_EQ(frame(request.substr(0, n)).state, State::Incomplete) << n;
    }
    const Framing framing = frame(request);
    EXPECT_EQ(framing.state, State::Complete);
    EXPECT_EQ(framing.request_bytes, request.size());
    EXPECT_EQ(framing.header_bytes, request.size() - 5);
}

TEST(HttpFramingTest, BareLineFeedsAndLeadingEmptyLinesAreAccepted) {
    const std::string request = "\r\n\nGET / HTTP/1.0\nHost: x\n\n";
    const Framing framing = frame(request);
    EXPECT_EQ(framing.state, State::Complete);
    EXPECT_EQ(framing.request_bytes, request.size());
}

TEST(HttpFramingTest, HeaderOverTheLimitIs431EvenBeforeItEnds) {
    const std::string line = "X-Filler: " + std::string(300, 'a') + "\r\n";
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: h\r\n" + line).status, 431) << "no blank line yet";
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: h\r\n" + line + "\r\n").status, 431);
    const std::string fits =
        "GET / HTTP/1.1\r\nHost: h\r\nX-Filler: " + std::string(200, 'a') + "\r\n\r\n";
    EXPECT_EQ(frame(fits).state, State::Complete) << "positive control: just under the limit";
}

TEST(HttpFramingTest, BodyOverTheLimitIs413BeforeItArrives) {
    const Framing framing = frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 33\r\n\r\n");
    EXPECT_EQ(framing.state, State::Refused);
    EXPECT_EQ(framing.status, 413);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 32\r\n\r\n").state,
              State::Incomplete);
    EXPECT_EQ(
        frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n").status,
        400)
        << "a length too long to be a number";
}

TEST(HttpFramingTest, AmbiguousLengthsAreRefused) {
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n")
                  .status,
              400);
    EXPECT_EQ(
        frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
            .state,
        State::Complete)
        << "the same length twice is allowed";
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n").status, 400);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n").status, 400);
    EXPECT_EQ(
        frame(
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
            .status,
        400);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n").status, 501);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n").status, 400);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n").status, 400);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nBad Name: 1\r\n\r\n").status, 400);
}

// Poco's header parser, which reads the fields after framing, stops at a line that starts with
// a CR and refuses a CR inside a line; the framer must not read such a header differently
// (fields it saw that Poco did not are how requests are smuggled past one of two parsers).
TEST(HttpFramingTest, BareCarriageReturnsAndNulsInTheHeaderAreRefused) {
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: x\r\n\rX-A: 1\r\n\r\n").status, 400)
        << "a field line that starts with CR";
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nX-A: a\rContent-Length: 3\r\n\r\nabc").status,
              400)
        << "a CR inside a field value";
    EXPECT_EQ(frame("GET / HTTP/1.1\rX: y\r\n\r\n").status, 400) << "a CR in the request line";
    EXPECT_EQ(frame(std::string("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 37)).status, 400)
        << "a NUL in a field value";
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb\r\n\n").state, State::Complete)
        << "HTAB and bare LF stay accepted";
}

// RFC 9112, 3.2: more than one Host is a 400. Two Authorization fields are as ambiguous: Poco
// takes the first, a proxy in front may have checked the other.
TEST(HttpFramingTest, SingletonFieldsTwiceAreRefused) {
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n").status, 400);
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\n"
                    "authorization: Bearer y\r\n\r\n")
                  .status,
              400);
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer x\r\nX-A: 1\r\n"
                    "X-A: 2\r\n\r\n")
                  .state,
              State::Complete)
        << "other fields may repeat";
}

// RFC 9112, 3.2: a server must answer 400 to an HTTP/1.1 request without Host.
TEST(HttpFramingTest, AnHttp11RequestWithoutHostIsRefused) {
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nX-A: 1\r\n\r\n").status, 400);
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nx-host: a\r\n\r\n").status, 400) << "only Host itself";
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHOST: a\r\n\r\n").state, State::Complete);
    EXPECT_EQ(frame("GET / HTTP/1.1\r\nHost:\r\n\r\n").state, State::Complete)
        << "an empty Host is allowed (a URI without an authority)";
    EXPECT_EQ(frame("GET / HTTP/1.0\r\nX-A: 1\r\n\r\n").state, State::Complete)
        << "HTTP/1.0 had no Host";
}

TEST(HttpFramingTest, ChunkedBodiesAreFramedAndDecoded) {
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n";
    const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    for (std::size_t n = 0; n < body.size(); ++n) {
        EXPECT_EQ(frame(head + body.substr(0, n)).state, State::Incomplete) << n;
    }
    const Framing framing = frame(head + body + "GET / HTTP/1.1\r\nHost: h\r\n");
    ASSERT_EQ(framing.state, State::Complete);
    EXPECT_TRUE(framing.chunked);
    EXPECT_EQ(framing.request_bytes, head.size() + body.size());
    std::string decoded;
    EXPECT_TRUE(decode_chunked(body, decoded));
    EXPECT_EQ(decoded, "hello world");
}

// The reactor frames again after every read. A chunked body trickled in small pieces must not
// be walked from its start each time: that is quadratic, and a single client could keep the
// reactor thread (every connection's) busy for seconds.
Framing frame_in_pieces(const std::string& bytes, std::size_t piece, const FramingLimits& limits) {
    Framing framing;
    for (std::size_t n = std::min(piece, bytes.size());; n = std::min(n + piece, bytes.size())) {
        framing = frame_request(std::string_view(bytes).substr(0, n), limits, &framing);
        if (framing.state != State::Incomplete || n == bytes.size()) return framing;
    }
}

TEST(HttpFramingTest, ChunkedBodiesArrivingPieceByPieceAreWalkedOnNotAgain) {
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
    for (std::size_t piece = 1; piece < 8; ++piece) {
        const Framing framing = frame_in_pieces(head + body + "GET /", piece, small_limits());
        ASSERT_EQ(framing.state, State::Complete) << piece;
        EXPECT_EQ(framing.request_bytes, head.size() + body.size()) << piece;
    }
    EXPECT_EQ(
        frame_in_pieces(head + "10\r\n" + std::string(16, 'a') + "\r\n11\r\n", 3, small_limits())
            .status,
        413)
        << "the data counted before the resume point still counts";
    EXPECT_EQ(frame_in_pieces(head + "3\r\nabc\r\nzz\r\n", 2, small_limits()).status, 400);

    FramingLimits large;
    large.max_body_bytes = 1024 * 1024;
    std::string trickled = head;
    while (trickled.size() < head.size() + large.max_body_bytes) trickled += "1\r\nA\r\n";
    trickled += "0\r\n\r\n";
    const auto start = std::chrono::steady_clock::now();
    const Framing framing = frame_in_pieces(trickled, 64, large);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(framing.state, State::Complete);
    // From the start each time this takes minutes; walked on, milliseconds.
    EXPECT_LT(took, std::chrono::seconds(3));
}

TEST(HttpFramingTest, ChunkedBodyOverTheLimitOrMalformedIsRefused) {
    const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
    EXPECT_EQ(frame(head + "21\r\n").status, 413) << "one chunk of 33 bytes, announced";
    EXPECT_EQ(frame(head + "10\r\n" + std::string(16, 'a') + "\r\n11\r\n").status, 413)
        << "16 + 17 bytes in two chunks";
    EXPECT_EQ(frame(head + "ffffffffffffffffffff\r\n").status, 413) << "no overflow";
    EXPECT_EQ(frame(head + "zz\r\n").status, 400);
    EXPECT_EQ(frame(head + "3\r\nabcX").status, 400) << "chunk data not followed by CRLF";
    EXPECT_EQ(frame(head + std::string(2000, '1')).status, 400) << "endless chunk-size line";
    std::string bad;
    EXPECT_FALSE(decode_chunked("3\r\nab", bad));
}

TEST(HttpFramingTest, ExpectContinueIsReportedUntilTheBodyArrives) {
    const std::string head =
        "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
    EXPECT_TRUE(frame(head).expect_continue);
    EXPECT_FALSE(frame(head + "abc").expect_continue);
    EXPECT_EQ(frame(head + "abc").state, State::Complete);
    EXPECT_EQ(frame("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n").status, 417);
}

TEST(HttpFramingTest, RecordsTheRequestLineWordsAndEachField) {
    const std::string request =
        "\r\nPOST  /api/v1/trades?x=1 HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n"
        "X-Spaced: \t a b \t\r\nContent-Length: 2\r\n\r\nhi";
    const Framing framing = frame(request);
    ASSERT_EQ(framing.state, State::Complete);
    EXPECT_EQ(framing.method.in(request), "POST");
    EXPECT_EQ(framing.target.in(request), "/api/v1/trades?x=1");
    EXPECT_EQ(framing.version.in(request), "HTTP/1.1");
    ASSERT_EQ(framing.field_count, 4u);
    const std::vector<std::pair<std::string_view, std::string_view>> expected = {
        {"Host", "h"}, {"X-Empty", ""}, {"X-Spaced", "a b"}, {"Content-Length", "2"}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(framing.fields[i].name(request), expected[i].first) << i;
        EXPECT_EQ(framing.fields[i].value(request), expected[i].second) << i;
    }
}

TEST(HttpFramingTest, RequestLineAndFieldLimitsAre400OnceTheHeaderHasEnded) {
    FramingLimits roomy;
    roomy.max_header_bytes = 64 * 1024;
    const auto status = [&](const std::string& bytes) {
        return frame_request(bytes, roomy).status;
    };
    EXPECT_EQ(status(std::string(33, 'M') + " / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(status("GET /" + std::string(16384, 'u') + " HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(status("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400);
    EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n" + std::string(257, 'N') + ": v\r\n\r\n"), 400);
    EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(8193, 'v') + "\r\n\r\n"),
              400);
    std::string fields;
    for (int i = 0; i < 100; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
    EXPECT_EQ(status("GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n"), 400);
    EXPECT_EQ(frame_request("GET / HTTP/1.0\r\n" + fields + "\r\n", roomy).state, State::Complete)
        << "positive control: 100 fields";
    EXPECT_EQ(status("GET /\r\nHost: h\r\n\r\n"), 400) << "short of three words";
    // A refusal that says more comes first.
    EXPECT_EQ(
        status(std::string(33, 'M') + " / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999\r\n\r\n"),
        413);
    EXPECT_EQ(
        status(std::string(33, 'M') + " / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
        501);
}

TEST(RestLimitSettingsTest, NewLimitsAndTheDeprecatedMaxQueued) {
    const RestConfig set = config_from_settings(Settings{{{"max_connections", "10"},
                                                          {"max_in_flight", "7"},
                                                          {"max_header_bytes", "2048"},
                                                          {"keep_alive_timeout", "3s"},
                                                          {"request_read_timeout", "4s"}}});
    EXPECT_EQ(set.max_connections, 10u);
    EXPECT_EQ(set.max_in_flight, 7u);
    EXPECT_EQ(set.max_header_bytes, 2048u);
    EXPECT_EQ(set.keep_alive_timeout, std::chrono::seconds{3});
    EXPECT_EQ(set.request_read_timeout, std::chrono::seconds{4});
    EXPECT_TRUE(set.notices.empty());

    const RestConfig old = config_from_settings(Settings{{{"threads", "4"}, {"max_queued", "20"}}});
    EXPECT_EQ(old.max_in_flight, 24u);
    ASSERT_EQ(old.notices.size(), 1u);
    EXPECT_THAT(old.notices[0], testing::HasSubstr("max_queued is deprecated"));
}

TEST(RestLimitSettingsTest, TlsSettingsAreCheckedTogether) {
    const RestConfig tls = config_from_settings(Settings{{{"tls.certificate", "/c.pem"},
                                                          {"tls.private_key", "/k.pem"},
                                                          {"tls.ca", "/ca.pem"},
                                                          {"tls.client_auth", "required"},
                                                          {"tls.min_version", "TLSv1.3"}}});
    EXPECT_TRUE(tls.tls.enabled());
    EXPECT_EQ(tls.tls.client_auth, TlsConfig::ClientAuth::Required);
    EXPECT_EQ(tls.tls.min_version, TlsConfig::Version::Tls13);

    const auto error = [](Settings settings) {
        try {
            config_from_settings(settings);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error(Settings{{{"tls.certificate", "/c.pem"}}}),
              "rest-source: tls.private_key: required with tls.certificate");
    EXPECT_EQ(error(Settings{{{"tls.private_key", "/k.pem"}}}),
              "rest-source: tls.certificate: required by the other tls.* settings");
    EXPECT_EQ(error(Settings{{{"tls.certificate", "/c.pem"},
                              {"tls.private_key", "/k.pem"},
                              {"tls.client_auth", "optional"}}}),
              "rest-source: tls.ca: required when tls.client_auth is not none");
    EXPECT_EQ(error(Settings{{{"tls.client_auth", "sometimes"}}}),
              "rest-source: tls.client_auth: 'sometimes' is not one of none, optional, required");
    EXPECT_EQ(error(Settings{{{"tls.min_version", "TLSv1.1"}}}),
              "rest-source: tls.min_version: TLSv1.1 is not allowed; the lowest is TLSv1.2");
    EXPECT_EQ(error(Settings{{{"tls.min_version", "tls1.2"}}}),
              "rest-source: tls.min_version: 'tls1.2' is not TLSv1.2 or TLSv1.3");
}

}  // namespace
}  // namespace tradestore::rest
