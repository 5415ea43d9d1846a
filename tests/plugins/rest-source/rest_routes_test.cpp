// The rest-source: its pure logic (routing, query parameters, bodies), then the server
// itself, in-process on a free port, over a fake host (in-memory store and ingest).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SocketAddress.h>
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "api/cors.h"
#include "api/history_query.h"
#include "api/media_type.h"
#include "api/query_params.h"
#include "api/request_id.h"
#include "api/response_bodies.h"
#include "api/rfc3339.h"
#include "api/router.h"
#include "metrics_registry.h"
#include "rest_config.h"
#include "rest_fakes.h"
#include "rest_server.h"
#include "trade_codec.h"
#include "transport/buffered_exchange.h"
#include "transport/http_framing.h"

namespace tradestore::rest {
namespace {

using namespace std::chrono;
using fakes::FakeHost;
using fakes::FakeStore;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

using fakes::kToday;

// ---------------------------------------------------------------- routing

TEST(RouterTest, MatchesEveryEndpoint) {
    const auto endpoint = [](std::string_view method, std::string_view path) {
        const RouteMatch m = match_route(method, path);
        EXPECT_EQ(m.kind, RouteMatch::Kind::Found) << method << " " << path;
        return m.endpoint;
    };
    EXPECT_EQ(endpoint("POST", "/api/v1/trades"), Endpoint::CreateTrade);
    EXPECT_EQ(endpoint("GET", "/api/v1/trades"), Endpoint::ListTrades);
    EXPECT_EQ(endpoint("POST", "/api/v1/trades/batch"), Endpoint::CreateBatch);
    EXPECT_EQ(endpoint("GET", "/api/v1/trades/T1"), Endpoint::GetTrade);
    EXPECT_EQ(endpoint("HEAD", "/api/v1/trades/T1"), Endpoint::GetTrade);
    EXPECT_EQ(endpoint("DELETE", "/api/v1/trades/T1"), Endpoint::DeleteTrade);
    EXPECT_EQ(endpoint("GET", "/api/v1/trades/T1/history"), Endpoint::TradeHistory);
    EXPECT_EQ(endpoint("HEAD", "/api/v1/trades/T1/history"), Endpoint::TradeHistory);
    EXPECT_EQ(endpoint("GET", "/api/v1/trades/book/B1"), Endpoint::ListByBook);
    EXPECT_EQ(endpoint("GET", "/api/v1/health"), Endpoint::Health);
    EXPECT_EQ(endpoint("GET", "/api/v1/statistics"), Endpoint::Statistics);
    EXPECT_EQ(endpoint("POST", "/api/v1/expire-trades"), Endpoint::ExpireTrades);
    EXPECT_EQ(endpoint("GET", "/api/v1/audit-logs"), Endpoint::AuditLogs);
    EXPECT_EQ(endpoint("GET", "/api/v1/events"), Endpoint::Events);
    EXPECT_EQ(endpoint("GET", "/api/v1/health/live"), Endpoint::HealthLive);
    EXPECT_EQ(endpoint("HEAD", "/api/v1/health/ready"), Endpoint::HealthReady);
    EXPECT_EQ(endpoint("GET", "/"), Endpoint::ServiceInfo);
    EXPECT_EQ(endpoint("GET", "/openapi.json"), Endpoint::OpenApi);
    EXPECT_EQ(endpoint("GET", "/docs"), Endpoint::Docs);
    EXPECT_EQ(endpoint("GET", "/metrics"), Endpoint::Metrics);
    const RouteMatch asset = match_route("GET", "/docs/swagger-ui.css");
    EXPECT_EQ(asset.endpoint, Endpoint::DocsAsset);
    EXPECT_EQ(asset.param, "swagger-ui.css");
}

TEST(RouterTest, MatchNamesTheRouteRow) {
    const RouteMatch get = match_route("GET", "/api/v1/trades/T1");
    ASSERT_LT(get.route, api_routes().size());
    EXPECT_EQ(api_routes()[get.route].path, "/trades/{trade_id}");
    EXPECT_EQ(api_routes()[get.route].method, "GET");
    const RouteMatch del = match_route("DELETE", "/api/v1/trades/T1");
    EXPECT_EQ(api_routes()[del.route].method, "DELETE");
    EXPECT_EQ(match_route("GET", "/nope").route, RouteMatch::kNoRoute);
    EXPECT_EQ(match_route("POST", "/metrics").kind, RouteMatch::Kind::MethodNotAllowed);
    EXPECT_EQ(match_route("POST", "/metrics").allow, "GET, HEAD");
    EXPECT_EQ(match_route("GET", "/docs/a/b").kind, RouteMatch::Kind::NotFound);
}

TEST(RouterTest, PathParameterIsPercentDecoded) {
    EXPECT_EQ(match_route("GET", "/api/v1/trades/T%201%2Fa+b%zz%4").param, "T 1/a+b%zz%4");
    EXPECT_EQ(match_route("GET", "/api/v1/trades/book/B%C3%A9").param, "B\xC3\xA9");
}

TEST(RouterTest, FirstFullMatchWinsAsInStarlette) {
    // No GET on /trades/batch, so GET reads the trade named "batch".
    RouteMatch get = match_route("GET", "/api/v1/trades/batch");
    EXPECT_EQ(get.endpoint, Endpoint::GetTrade);
    EXPECT_EQ(get.param, "batch");
    EXPECT_EQ(match_route("DELETE", "/api/v1/trades/book").endpoint, Endpoint::DeleteTrade);
    // The book route comes first: the history of a trade named "book" is not reachable.
    EXPECT_EQ(match_route("GET", "/api/v1/trades/book/history").endpoint, Endpoint::ListByBook);
    const RouteMatch history = match_route("GET", "/api/v1/trades/T%2F1/history");
    EXPECT_EQ(history.endpoint, Endpoint::TradeHistory);
    EXPECT_EQ(history.param, "T/1");
    EXPECT_EQ(match_route("POST", "/api/v1/trades/T1/history").allow, "GET, HEAD");
}

TEST(RouterTest, WrongMethodOnAKnownPathIs405WithAllow) {
    RouteMatch put = match_route("PUT", "/api/v1/trades");
    EXPECT_EQ(put.kind, RouteMatch::Kind::MethodNotAllowed);
    EXPECT_EQ(put.allow, "GET, HEAD, POST");
    EXPECT_EQ(match_route("POST", "/api/v1/trades/T1").allow, "GET, HEAD, DELETE");
    EXPECT_EQ(match_route("GET", "/api/v1/expire-trades").allow, "POST");
    EXPECT_EQ(match_route("DELETE", "/api/v1/health").allow, "GET, HEAD");
    EXPECT_EQ(match_route("PUT", "/api/v1/trades/batch").allow, "GET, HEAD, POST, DELETE");
}

TEST(RouterTest, UnknownPathsAreNotFound) {
    for (const char* path :
         {"", "/api/v1", "/api/v1/", "/docs/", "/metrics/", "/openapi", "/api/v2/trades",
          "/api/v1/trades/", "/api/v1//trades", "/api/v1/trades/a/b", "/api/v1/trades/book/B1/x",
          "/api/v1x/health", "/API/V1/health", "/api/v1/nope"}) {
        EXPECT_EQ(match_route("GET", path).kind, RouteMatch::Kind::NotFound) << path;
    }
}

TEST(RouterTest, SplitsTargetIntoPathAndQuery) {
    Target t = split_target("/api/v1/trades?skip=1&limit=2#frag");
    EXPECT_EQ(t.path, "/api/v1/trades");
    EXPECT_EQ(t.query, "skip=1&limit=2");
    EXPECT_EQ(split_target("/x").query, "");
}

// ---------------------------------------------------------------- query parameters

std::vector<std::string> error_lines(const std::vector<FieldError>& errors) {
    std::vector<std::string> lines;
    for (const auto& e : errors) {
        std::string loc;
        for (const auto& part : e.loc) loc += (loc.empty() ? "" : "/") + part;
        lines.push_back(loc + " " + e.type + " " + e.msg);
    }
    return lines;
}

TEST(QueryParamsTest, DecodesAndKeepsTheLastRepeatedValue) {
    QueryParams params("a=1&b=x+y%21&a=2&flag&=empty&&c=");
    ASSERT_NE(params.find("a"), nullptr);
    EXPECT_EQ(*params.find("a"), "2");
    EXPECT_EQ(*params.find("b"), "x y!");
    EXPECT_EQ(*params.find("flag"), "");
    EXPECT_EQ(*params.find("c"), "");
    EXPECT_EQ(params.find("missing"), nullptr);
}

TEST(QueryParamsTest, PagingDefaultsAndBounds) {
    std::vector<FieldError> errors;
    Paging defaults = parse_paging(QueryParams(""), errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(defaults.skip, 0);
    EXPECT_EQ(defaults.limit, 100);

    Paging edges = parse_paging(QueryParams("skip=0&limit=1000"), errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(edges.limit, 1000);
    EXPECT_EQ(parse_paging(QueryParams("limit=1&skip=+7"), errors).skip, 7);
    EXPECT_TRUE(errors.empty());

    parse_paging(QueryParams("skip=-1&limit=1001"), errors);
    EXPECT_THAT(
        error_lines(errors),
        ElementsAre("query/skip greater_than_equal Input should be greater than or equal to 0",
                    "query/limit less_than_equal Input should be less than or equal to 1000"));
    errors.clear();
    parse_paging(QueryParams("limit=0"), errors);
    EXPECT_THAT(
        error_lines(errors),
        ElementsAre("query/limit greater_than_equal Input should be greater than or equal to 1"));
    errors.clear();
    parse_paging(QueryParams("skip=abc&limit=2.5"), errors);
    EXPECT_THAT(error_lines(errors), ElementsAre("query/skip int_parsing Input should be a valid "
                                                 "integer, unable to parse string as an integer",
                                                 "query/limit int_parsing Input should be a valid "
                                                 "integer, unable to parse string as an integer"));
}

TEST(QueryParamsTest, IntegerParsing) {
    EXPECT_EQ(parse_query_int(" 42 "), 42);
    EXPECT_EQ(parse_query_int("-3"), -3);
    EXPECT_EQ(parse_query_int("+3"), 3);
    EXPECT_FALSE(parse_query_int(""));
    EXPECT_FALSE(parse_query_int("+-3"));
    EXPECT_FALSE(parse_query_int("1e3"));
    EXPECT_FALSE(parse_query_int("99999999999999999999"));
}

Timestamp utc(year_month_day date, hours h, minutes m = {}, seconds sec = {},
              microseconds us = {}) {
    return Timestamp{sys_days{date}} + h + m + sec + us;
}

TEST(Rfc3339Test, ParsesInstantsWithTheirOffsets) {
    EXPECT_EQ(parse_rfc3339("2026-12-01T17:00:00Z"), utc(2026y / 12 / 1, 17h));
    EXPECT_EQ(parse_rfc3339("2026-12-01t17:00:00z"), utc(2026y / 12 / 1, 17h));
    EXPECT_EQ(parse_rfc3339("2026-12-01T17:00:00.123456+01:00"),
              utc(2026y / 12 / 1, 16h, 0min, 0s, 123456us));
    EXPECT_EQ(parse_rfc3339("2026-12-01T17:00:00.5-05:30"),
              utc(2026y / 12 / 1, 22h, 30min, 0s, 500000us));
    // Across midnight and the year, -00:00 is UTC, sub-microsecond digits are dropped.
    EXPECT_EQ(parse_rfc3339("2027-01-01T00:30:00+01:00"), utc(2026y / 12 / 31, 23h, 30min));
    EXPECT_EQ(parse_rfc3339("2026-12-01T17:00:00-00:00"), utc(2026y / 12 / 1, 17h));
    EXPECT_EQ(parse_rfc3339("2026-12-01T17:00:00.1234569Z"),
              utc(2026y / 12 / 1, 17h, 0min, 0s, 123456us));
    EXPECT_EQ(parse_rfc3339("2028-02-29T23:59:59.999999+23:59"),
              utc(2028y / 2 / 29, 0h, 0min, 59s, 999999us));
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), Timestamp{});
}

TEST(Rfc3339Test, RefusesWhatIsNotAnRfc3339Instant) {
    for (const char* text : {"",
                             "2026-12-01",
                             "2026-12-01T17:00:00",
                             "2026-12-01T17:00Z",
                             "2026-12-01 17:00:00Z",
                             "2026-12-01T17:00:00 01:00",
                             "2026-12-01T17:00:00+0100",
                             "2026-12-01T17:00:00+01",
                             "2026-12-01T17:00:00+01:0",
                             "2026-12-01T17:00:00.Z",
                             "2026-12-01T17:00:00,5Z",
                             "2026-02-30T17:00:00Z",
                             "2026-13-01T17:00:00Z",
                             "2026-00-01T17:00:00Z",
                             "2026-12-01T24:00:00Z",
                             "2026-12-01T17:60:00Z",
                             "2026-12-01T17:00:60Z",
                             "2026-12-01T17:00:00+24:00",
                             "2026-12-01T17:00:00+01:60",
                             "2026-12-01T17:00:00Zx",
                             " 2026-12-01T17:00:00Z",
                             "2026-12-01T17:00:00Z ",
                             "2026-1-01T17:00:00Z",
                             "20261201T170000Z",
                             "2026-12-01T17:00:00UTC",
                             "+2026-12-01T17:00:00Z",
                             "2026-12-01T17:00:00.123456+01:00x",
                             "1764608400"}) {
        EXPECT_FALSE(parse_rfc3339(text)) << text;
    }
}

TEST(HistoryQueryTest, DefaultsValuesAndOneErrorPerBadParameter) {
    std::vector<FieldError> errors;
    const HistoryQuery defaults = parse_history_query("T1", QueryParams(""), errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(defaults.trade_id, "T1");
    EXPECT_EQ(defaults.skip, 0);
    EXPECT_EQ(defaults.limit, 100);
    EXPECT_FALSE(defaults.from);
    EXPECT_FALSE(defaults.to);

    const HistoryQuery given = parse_history_query(
        "T1",
        QueryParams("skip=2&limit=3&from=2026-12-01T17:00:00Z&to=2026-12-01T18:00:00%2B01:00"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(given.skip, 2);
    EXPECT_EQ(given.limit, 3);
    EXPECT_EQ(given.from, utc(2026y / 12 / 1, 17h));
    EXPECT_EQ(given.to, utc(2026y / 12 / 1, 17h));

    parse_history_query("T1", QueryParams("skip=-1&limit=1001&from=yesterday&to="), errors);
    const std::string instant = "datetime_parsing " + std::string(kBadInstant);
    EXPECT_THAT(
        error_lines(errors),
        ElementsAre("query/skip greater_than_equal Input should be greater than or equal to 0",
                    "query/limit less_than_equal Input should be less than or equal to 1000",
                    "query/from " + instant, "query/to " + instant));
}

// ---------------------------------------------------------------- headers, ids, config

TEST(MediaTypeTest, AcceptsJsonWithParameters) {
    EXPECT_TRUE(is_json_media_type("application/json"));
    EXPECT_TRUE(is_json_media_type("Application/JSON; charset=utf-8"));
    EXPECT_TRUE(is_json_media_type(" application/json ;charset=UTF-8"));
    EXPECT_FALSE(is_json_media_type(""));
    EXPECT_FALSE(is_json_media_type("text/plain"));
    EXPECT_FALSE(is_json_media_type("application/json-patch+json"));
    EXPECT_FALSE(is_json_media_type("application/jsonx"));
}

TEST(RequestIdTest, GeneratedIdsAreUniqueAndClientIdsAreChecked) {
    RequestIdGenerator ids;
    char a[RequestIdGenerator::kBufferSize];
    char b[RequestIdGenerator::kBufferSize];
    const std::string first(ids.next(a));
    const std::string second(ids.next(b));
    EXPECT_NE(first, second);
    EXPECT_EQ(first.size(), 10u);  // 8 hex, '-', counter
    EXPECT_TRUE(is_acceptable_request_id(first));
    EXPECT_TRUE(is_acceptable_request_id("abc-123_XYZ"));
    EXPECT_FALSE(is_acceptable_request_id(""));
    EXPECT_FALSE(is_acceptable_request_id("has space"));
    EXPECT_FALSE(is_acceptable_request_id(std::string(129, 'a')));
    EXPECT_FALSE(is_acceptable_request_id("tab\there"));
}

TEST(RestConfigTest, DefaultsAndOverrides) {
    RestConfig defaults = config_from_settings(Settings{});
    EXPECT_EQ(defaults.host, "127.0.0.1");
    EXPECT_EQ(defaults.port, 8080);
    EXPECT_EQ(defaults.threads, 16);
    EXPECT_EQ(defaults.read_threads, 0) << "0: one per CPU core";
    EXPECT_EQ(defaults.max_in_flight, 256u);
    EXPECT_EQ(defaults.max_connections, 1024u);
    EXPECT_EQ(defaults.max_header_bytes, 16384u);
    EXPECT_EQ(defaults.max_body_bytes, 1048576u);
    EXPECT_EQ(defaults.max_batch_items, 1000u);
    EXPECT_TRUE(defaults.keep_alive);
    EXPECT_EQ(defaults.request_timeout, seconds{30});

    RestConfig set = config_from_settings(Settings{{{"port", "9090"},
                                                    {"keep_alive", "false"},
                                                    {"request_timeout", "250ms"},
                                                    {"max_batch_items", "5"},
                                                    {"read_threads", "3"}}});
    EXPECT_EQ(set.port, 9090);
    EXPECT_EQ(set.read_threads, 3);
    EXPECT_FALSE(set.keep_alive);
    EXPECT_EQ(set.request_timeout, milliseconds{250});
    EXPECT_EQ(set.max_batch_items, 5u);

    // Every key has a default that parses as its type, but for those whose absence means off.
    for (const SettingSpec& spec : setting_specs()) {
        EXPECT_FALSE(spec.required) << spec.key;
        // Unset means off: CORS, the metrics token, TLS, tokens and JWT; the in-flight limit
        // defaults from threads and the deprecated max_queued.
        if (spec.key == "cors_allowed_origins" || spec.key == "metrics_token" ||
            spec.key == "max_in_flight" || spec.key == "max_queued" ||
            spec.key == "tls.certificate" || spec.key == "tls.private_key" ||
            spec.key == "tls.ca" ||
            (spec.key.starts_with("auth.") && spec.type != SettingType::Bool &&
             spec.key != "auth.jwt.role_claim")) {
            EXPECT_TRUE(spec.default_value.empty()) << spec.key;
            continue;
        }
        EXPECT_FALSE(spec.default_value.empty()) << spec.key;
    }
    EXPECT_FALSE(defaults.cors.enabled()) << "CORS is off by default";
    EXPECT_TRUE(defaults.metrics_token.empty());
    const std::vector<SettingSpec> specs = setting_specs();
    const auto token = std::find_if(specs.begin(), specs.end(),
                                    [](const SettingSpec& s) { return s.key == "metrics_token"; });
    ASSERT_NE(token, specs.end());
    EXPECT_EQ(token->type, SettingType::Secret);

    RestConfig cors = config_from_settings(
        Settings{{{"cors_allowed_origins", "https://a.example, https://b.example"},
                  {"cors_max_age", "1m"}}});
    EXPECT_TRUE(cors.cors.enabled());
    EXPECT_THAT(cors.cors.allowed_origins, ElementsAre("https://a.example", "https://b.example"));
    EXPECT_EQ(cors.cors.max_age, seconds{60});
}

TEST(CorsPolicyTest, OriginsMethodsAndHeaders) {
    CorsConfig config = default_config().cors;
    EXPECT_FALSE(CorsPolicy(config).enabled());
    EXPECT_FALSE(CorsPolicy(config).origin_allowed("https://a.example"));
    config.allowed_origins = {"https://a.example"};
    const CorsPolicy policy(config);
    EXPECT_TRUE(policy.origin_allowed("https://a.example"));
    EXPECT_FALSE(policy.origin_allowed("https://evil.example"));
    EXPECT_FALSE(policy.origin_allowed(""));
    EXPECT_EQ(policy.allow_origin_value("https://a.example"), "https://a.example");
    EXPECT_EQ(policy.refuse_preflight("https://a.example", "POST", "content-type, X-Request-Id"),
              "");
    EXPECT_EQ(policy.refuse_preflight("https://evil.example", "POST", ""), "origin");
    EXPECT_EQ(policy.refuse_preflight("https://a.example", "PUT", "Authorization"), "method");
    EXPECT_EQ(policy.refuse_preflight("https://a.example", "POST", "X-Other"), "headers");
    EXPECT_EQ(policy.allow_methods(), "GET, POST, DELETE");
    EXPECT_EQ(policy.allow_headers(),
              "Content-Type, X-Request-ID, Authorization, Idempotency-Key, X-Min-LSN");
    EXPECT_EQ(policy.max_age(), "600");
    config.allowed_origins = {"*"};
    EXPECT_TRUE(CorsPolicy(config).origin_allowed("https://any.example"));
    EXPECT_EQ(CorsPolicy(config).allow_origin_value("https://any.example"), "*");
}

// ---------------------------------------------------------------- bodies

Trade make_trade(std::string id, std::int64_t version = 1, std::string book = "B1") {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = "CP-1";
    trade.book_id = std::move(book);
    trade.maturity_date = kToday + days{30};
    trade.created_date = kToday;
    return trade;
}

class BodiesTest : public ::testing::Test {
  protected:
    kernel::JsonTradeCodec codec_;
    std::string out_;
};

TEST_F(BodiesTest, Detail) {
    append_detail(out_, "Trade \"x\" not found");
    EXPECT_EQ(out_, R"({"detail":"Trade \"x\" not found"})");
}

TEST_F(BodiesTest, SyntaxError) {
    append_syntax_error(out_, SyntaxError{12, "Missing a comma."});
    EXPECT_EQ(out_, R"({"detail":"Malformed JSON at offset 12: Missing a comma."})");
}

TEST_F(BodiesTest, ValidationErrors) {
    append_validation_errors(out_, codec_, {{{"query", "limit"}, "m", "t"}});
    EXPECT_EQ(out_, R"({"detail":[{"loc":["query","limit"],"msg":"m","type":"t"}]})");
}

TEST_F(BodiesTest, Rejection) {
    append_rejection(
        out_, "T1", {{"LOWER_VERSION", "Trade T1: lower"}, {"MATURITY_IN_PAST", "Trade T1: past"}});
    EXPECT_EQ(out_, R"({"detail":"Trade T1: lower; Trade T1: past",)"
                    R"("reasons":["LOWER_VERSION","MATURITY_IN_PAST"],"trade_id":"T1"})");
}

TEST_F(BodiesTest, AcceptedTradeAddsTheOutcome) {
    append_accepted_trade(out_, codec_, make_trade("T1"), kToday, Outcome::Updated);
    EXPECT_THAT(out_, HasSubstr(R"({"trade_id":"T1","version":1,)"));
    EXPECT_THAT(out_,
                HasSubstr(R"("last_updated":"1970-01-01T00:00:00.000000Z","outcome":"updated"})"));
}

TEST_F(BodiesTest, BatchEntries) {
    append_batch_accepted(out_, codec_, 0, make_trade("T1"), kToday, Outcome::Created);
    EXPECT_THAT(
        out_,
        HasSubstr(R"({"index":0,"trade_id":"T1","outcome":"created","trade":{"trade_id":"T1",)"));
    EXPECT_EQ(out_.substr(out_.size() - 2), "}}");
    out_.clear();
    append_batch_rejected(out_, 1, "T2", {{"LOWER_VERSION", "Trade T2: lower"}});
    EXPECT_EQ(out_, R"({"index":1,"trade_id":"T2","outcome":"rejected","detail":"Trade T2: lower",)"
                    R"("reasons":["LOWER_VERSION"]})");
    out_.clear();
    append_batch_invalid(out_, codec_, 2,
                         {{{"body", "2", "version"}, "Field required", "missing"}});
    EXPECT_EQ(out_, R"({"index":2,"outcome":"invalid","errors":[{"loc":["body",2,"version"],)"
                    R"("msg":"Field required","type":"missing"}]})");
}

// A trade's history as the fake store gives it: version 1 created over REST, version 2 an
// update from Kafka in another book.
std::vector<HistoryRecord> two_versions(const std::string& id) {
    HistoryRecord created;
    created.trade = make_trade(id, 1);
    created.action = AuditAction::Create;
    created.source = "rest";
    created.reference = "req-1";
    created.recorded_at = Timestamp{kToday} + hours{9} + minutes{30} + microseconds{123456};
    created.trade.last_updated = created.recorded_at;
    created.business_date = kToday;
    HistoryRecord updated = created;
    updated.trade = make_trade(id, 2, "B2");
    updated.action = AuditAction::Update;
    updated.previous_version = 1;
    updated.source = "kafka";
    updated.reference = "trades/0/42";
    updated.recorded_at = Timestamp{sys_days{2026y / 12 / 7}} + hours{17} + microseconds{1};
    updated.trade.last_updated = updated.recorded_at;
    updated.business_date = 2026y / 12 / 7;
    return {created, updated};
}

constexpr std::string_view kFirstVersionJson =
    R"({"version":1,"action":"CREATE","previous_version":null,)"
    R"("recorded_at":"2026-11-24T09:30:00.123456Z","business_date":"2026-11-24",)"
    R"("source":"rest","reference":"req-1","trade":{"trade_id":"T1","version":1,)"
    R"("counter_party_id":"CP-1","book_id":"B1","maturity_date":"2026-12-24",)"
    R"("created_date":"2026-11-24","expired":false,"last_updated":"2026-11-24T09:30:00.123456Z"}})";
constexpr std::string_view kSecondVersionJson =
    R"({"version":2,"action":"UPDATE","previous_version":1,)"
    R"("recorded_at":"2026-12-07T17:00:00.000001Z","business_date":"2026-12-07",)"
    R"("source":"kafka","reference":"trades/0/42","trade":{"trade_id":"T1","version":2,)"
    R"("counter_party_id":"CP-1","book_id":"B2","maturity_date":"2026-12-24",)"
    R"("created_date":"2026-11-24","expired":false,"last_updated":"2026-12-07T17:00:00.000001Z"}})";

TEST_F(BodiesTest, HistoryItemsAndTheirTradesAsOfTheirBusinessDate) {
    HistoryQuery query;
    query.trade_id = "T1";
    std::vector<HistoryRecord> records = two_versions("T1");
    append_history(out_, codec_, query, records);
    EXPECT_EQ(out_, R"({"trade_id":"T1","skip":0,"limit":100,"items":[)" +
                        std::string(kFirstVersionJson) + "," + std::string(kSecondVersionJson) +
                        "]}");
    // A version decided after the maturity date shows expired, whatever today is.
    out_.clear();
    records[1].business_date = records[1].trade.maturity_date + days{1};
    append_history(out_, codec_, query, {records[1]});
    EXPECT_THAT(out_, HasSubstr(R"("expired":true)"));
}

TEST_F(BodiesTest, ServiceBodies) {
    HealthReport report;
    report.healthy = false;
    report.services = {{"rest", "up"}, {"sqlite", "down"}};
    append_health(out_, report, Timestamp{kToday} + hours{6} + minutes{20} + microseconds{5},
                  "0.1.0");
    EXPECT_EQ(out_, R"({"status":"unhealthy","timestamp":"2026-11-24T06:20:00.000005Z",)"
                    R"("version":"0.1.0","services":{"rest":"up","sqlite":"down"}})");
    out_.clear();
    append_statistics(out_, Statistics{3, 2, 1});
    EXPECT_EQ(out_, R"({"total_trades":3,"active_trades":2,"expired_trades":1})");
    out_.clear();
    append_expiry(out_, 4);
    EXPECT_EQ(out_, R"({"message":"Expiry check completed","trades_expired":4})");
    out_.clear();
    append_trade_deleted(out_, "T1");
    EXPECT_EQ(out_, R"({"message":"Trade T1 deleted successfully"})");
    out_.clear();
    append_audit_logs(out_, codec_, {});
    EXPECT_EQ(out_, R"({"logs":[],"count":0})");
}

// ---------------------------------------------------------------- a request from bytes to a
// handler

// Bytes through the transport's steps for one request, as the reactor runs them: framing,
// then serve_request, which hands the request to a handler that writes down what it was given
// and answers 204. What the tests pin is what a client gets (the status, and whether the
// connection closes) and what the handlers see (method, URI, version, the fields in order).
class SeenRequestHandler final : public RequestHandler {
  public:
    void handle(Poco::Net::HTTPServerRequest& request,
                Poco::Net::HTTPServerResponse& response) override {
        seen = request.getMethod() + ' ' + request.getURI() + ' ' + request.getVersion();
        for (const auto& [name, value] : request) seen += "\n" + name + ": " + value;
        response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
        response.sendBuffer(nullptr, 0);
    }
    bool admit_header(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&) override {
        return true;
    }
    void count_refusal(int) noexcept override {}

    std::string seen;
};

struct Exchange {
    int status = 0;       // 0: the framing wants more bytes
    bool closes = false;  // the connection closes after the answer
    std::string seen;     // what the handler was given (empty: it was not called)
    std::string head;     // the answer's status line and fields
};

Exchange send_bytes(const std::string& bytes, std::size_t max_header_bytes = 16 * 1024) {
    const FramingLimits limits{max_header_bytes, 1024};
    const Framing framing = frame_request(bytes, limits);
    Exchange result;
    if (framing.state == Framing::State::Incomplete) return result;
    if (framing.state == Framing::State::Refused) {  // the reactor answers and closes
        result.status = framing.status;
        result.closes = true;
        return result;
    }
    SeenRequestHandler handler;
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    const ConnectionInfo info{Poco::Net::SocketAddress("127.0.0.1", 40000),
                              Poco::Net::SocketAddress("127.0.0.1", 8080), false};
    std::string decoded;
    std::string out;
    const bool keep_alive = serve_request(handler, *params, info,
                                          std::string_view(bytes).substr(0, framing.request_bytes),
                                          framing, decoded, out);
    result.status = std::stoi(out.substr(out.find(' ') + 1, 3));
    result.closes = !keep_alive;
    result.seen = handler.seen;
    result.head = out.substr(0, out.find("\r\n\r\n"));
    return result;
}

MATCHER_P2(Answered, status, closes, "") {
    *result_listener << "status " << arg.status << (arg.closes ? ", closes" : ", keeps open");
    return arg.status == status && arg.closes == closes;
}
MATCHER_P(Served, seen, "") {
    *result_listener << "status " << arg.status << (arg.closes ? ", closes" : ", keeps open")
                     << ", handler saw:\n"
                     << arg.seen;
    return arg.status == 204 && arg.seen == seen;
}

std::string many_fields(int count) {
    std::string fields;
    for (int i = 0; i < count; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";
    return fields;
}

const std::string kHost = "Host: x\r\n";

// Poco's request parser (Debian 12's Poco 1.11) has limits of its own: method 32 bytes, URI
// 16 KiB, version 8 bytes, field name 256, field value 8 KiB (counted after the whitespace
// that starts it, before the whitespace that ends it), 100 fields. One over is 400, and the
// connection closes.
TEST(RequestFromBytesTest, LimitsOnTheRequestLineAndFieldsAre400AndClose) {
    const std::string method(32, 'M');
    EXPECT_THAT(send_bytes(method + " / HTTP/1.1\r\n" + kHost + "\r\n"),
                Served(method + " / HTTP/1.1\nHost: x"));
    EXPECT_THAT(send_bytes(method + "M / HTTP/1.1\r\n" + kHost + "\r\n"), Answered(400, true));

    const std::string uri = "/" + std::string(16383, 'u');
    const std::size_t roomy = 64 * 1024;  // max_header_bytes above the URI's limit
    EXPECT_THAT(send_bytes("GET " + uri + " HTTP/1.1\r\n" + kHost + "\r\n", roomy),
                Served("GET " + uri + " HTTP/1.1\nHost: x"));
    EXPECT_THAT(send_bytes("GET " + uri + "u HTTP/1.1\r\n" + kHost + "\r\n", roomy),
                Answered(400, true));

    EXPECT_THAT(send_bytes("GET / HTTP/1.10\r\n" + kHost + "\r\n"), Answered(400, true));

    const std::string name(256, 'N');
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + name + ": v\r\n\r\n"),
                Served("GET / HTTP/1.1\nHost: x\n" + name + ": v"));
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + name + "N: v\r\n\r\n"),
                Answered(400, true));

    const std::string value(8192, 'v');
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "X-V: \t\v\f " + value + "\r\n\r\n"),
                Served("GET / HTTP/1.1\nHost: x\nX-V: " + value))
        << "the whitespace before a value does not count";
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "X-V: " + value + "v\r\n\r\n"),
                Answered(400, true));
    EXPECT_THAT(
        send_bytes("GET / HTTP/1.1\r\n" + kHost + "X-V: " + value.substr(3) + " \t \r\n\r\n"),
        Served("GET / HTTP/1.1\nHost: x\nX-V: " + value.substr(3)));
    EXPECT_THAT(
        send_bytes("GET / HTTP/1.1\r\n" + kHost + "X-V: " + value.substr(2) + " \t \r\n\r\n"),
        Answered(400, true))
        << "the whitespace after a value counts";

    const Exchange hundred = send_bytes("GET / HTTP/1.1\r\n" + kHost + many_fields(99) + "\r\n");
    EXPECT_EQ(hundred.status, 204);
    EXPECT_THAT(hundred.seen, HasSubstr("\nX-F98: v"));
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + many_fields(100) + "\r\n"),
                Answered(400, true));
}

TEST(RequestFromBytesTest, RequestLineWordsAreSplitAtAnyWhitespaceAndTheRestIsIgnored) {
    for (const std::string line : {"GET  /  HTTP/1.1  ", "GET\t/\tHTTP/1.1", "GET\v/\fHTTP/1.1",
                                   " GET / HTTP/1.1", "\t GET / HTTP/1.1 trailing words"}) {
        EXPECT_THAT(send_bytes(line + "\r\n" + kHost + "\r\n"), Served("GET / HTTP/1.1\nHost: x"))
            << line;
    }
    EXPECT_THAT(send_bytes("\r\n\n\r\nGET / HTTP/1.1\r\n" + kHost + "\r\n"),
                Served("GET / HTTP/1.1\nHost: x"))
        << "empty lines before the request line";
    // Any bytes but whitespace make a method, a URI or a version; the handlers judge them.
    EXPECT_THAT(send_bytes("G@T\x01 http://h/p?q=1#f\xc3\xa9\x7f HTTP/1.1\r\n" + kHost + "\r\n"),
                Served("G@T\x01 http://h/p?q=1#f\xc3\xa9\x7f HTTP/1.1\nHost: x"));
    EXPECT_THAT(send_bytes("GET / FOO\r\n" + kHost + "\r\n"), Served("GET / FOO\nHost: x"));
}

TEST(RequestFromBytesTest, ARequestLineShortOfThreeWordsIs400AndCloses) {
    // Poco's parser took the missing words from the next line, which was then no field (the
    // framing had read it as one); the request line is one line.
    for (const std::string& line : std::vector<std::string>{"GET /", "GET", "GET / ", " "}) {
        EXPECT_THAT(send_bytes(line + "\r\n\r\n"), Answered(400, true)) << line;
        EXPECT_THAT(send_bytes(line + "\r\n" + kHost + "X-A: b\r\n\r\n"), Answered(400, true))
            << line;
    }
}

TEST(RequestFromBytesTest, FieldsReachTheHandlersInOrderWithEqualNamesTogether) {
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\nHost: x\nX-A: b\n\n"),
                Served("GET / HTTP/1.1\nHost: x\nX-A: b"))
        << "bare LF line ends";
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "X-A: 1\r\nX-B: 2\r\nx-a: 3\r\n\r\n"),
                Served("GET / HTTP/1.1\nHost: x\nX-A: 1\nx-a: 3\nX-B: 2"));
    EXPECT_THAT(send_bytes("POST / HTTP/1.1\r\n" + kHost +
                           "Content-Length: 1\r\nContent-Length: 1\r\n\r\nz"),
                Served("POST / HTTP/1.1\nHost: x\nContent-Length: 1\nContent-Length: 1"));
    // A name is any bytes but whitespace and ':'; a value is trimmed of spaces, tabs, VT and FF.
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "X(A)@\x01\xc3\xa9\v: b\r\n\r\n"),
                Served("GET / HTTP/1.1\nHost: x\nX(A)@\x01\xc3\xa9\v: b"));
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost +
                           "X-A:\r\nX-B:  \r\nX-C:\v\f b: c \t\v\f\r\nX-D:d\r\n\r\n"),
                Served("GET / HTTP/1.1\nHost: x\nX-A: \nX-B: \nX-C: b: c\nX-D: d"));
}

TEST(RequestFromBytesTest, ValuesAreGivenAsSentEncodedWordsIncluded) {
    // Poco 1.11's parser decoded RFC 2047 encoded words in every value; HTTP has no such rule.
    EXPECT_THAT(
        send_bytes("GET / HTTP/1.1\r\n" + kHost +
                   "X-A: =?UTF-8?Q?a_b?=\r\nX-B: x=?ISO-8859-1?B?6Q==?=y\r\n\r\n"),
        Served("GET / HTTP/1.1\nHost: x\nX-A: =?UTF-8?Q?a_b?=\nX-B: x=?ISO-8859-1?B?6Q==?=y"));
}

TEST(RequestFromBytesTest, FieldLinesTheFramingRefuses) {
    for (const std::string& field :
         std::vector<std::string>{"X-A: b\r\n c", "X-A: b\r\n\tc", "X-A b", ": b", "X-A : b",
                                  "X A: b", "X-A: a\rb", std::string("X-A: a\0b", 8)}) {
        EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + field + "\r\n\r\n"),
                    Answered(400, true))
            << field;
    }
}

TEST(RequestFromBytesTest, KeepAliveFollowsTheVersionAndConnection) {
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "\r\n"), Answered(204, false));
    EXPECT_THAT(send_bytes("GET / HTTP/1.1\r\n" + kHost + "Connection: close\r\n\r\n"),
                Answered(204, true));
    EXPECT_THAT(send_bytes("GET / HTTP/1.0\r\n\r\n"), Answered(204, true));
    EXPECT_THAT(send_bytes("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
                Answered(204, false));
    EXPECT_THAT(send_bytes("GET / HTTP/2.0\r\n\r\n"), Answered(204, true));
    EXPECT_THAT(send_bytes("GET / FOO\r\n\r\n"), Answered(204, true));
}

TEST(RequestFromBytesTest, AnHttp11RequestWithoutHost) {
    // The version is the request line's third word, however the words are separated.
    for (const std::string& line : std::vector<std::string>{
             "GET / HTTP/1.1", "GET\t/\tHTTP/1.1", "GET / HTTP/1.1 ", "GET / HTTP/1.1 more"}) {
        EXPECT_THAT(send_bytes(line + "\r\n\r\n"), Answered(400, true)) << line;
    }
    EXPECT_THAT(send_bytes("GET / HTTP/1.0\r\n\r\n"), Answered(204, true));
}

TEST(RequestFromBytesTest, AHeadAnswerHasNoBodyHoweverItsRequestLineIsSpaced) {
    for (const std::string& line :
         std::vector<std::string>{"HEAD / HTTP/1.1", "HEAD\t/ HTTP/1.1", " HEAD / HTTP/1.1"}) {
        const std::string bytes = line + "\r\n" + kHost + "\r\n";
        const Framing framing = frame_request(bytes, FramingLimits{});
        Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
        const ConnectionInfo info{Poco::Net::SocketAddress("127.0.0.1", 40000),
                                  Poco::Net::SocketAddress("127.0.0.1", 8080), false};
        std::string decoded;
        std::string out;
        // A handler that writes a body, as the dispatcher does for HEAD too.
        class BodyHandler final : public RequestHandler {
          public:
            void handle(Poco::Net::HTTPServerRequest&,
                        Poco::Net::HTTPServerResponse& response) override {
                response.sendBuffer("body", 4);
            }
            bool admit_header(Poco::Net::HTTPServerRequest&,
                              Poco::Net::HTTPServerResponse&) override {
                return true;
            }
            void count_refusal(int) noexcept override {}
        } body_handler;
        serve_request(body_handler, *params, info, bytes, framing, decoded, out);
        EXPECT_THAT(out, HasSubstr("Content-Length: 4\r\n")) << line;
        EXPECT_TRUE(out.ends_with("\r\n\r\n")) << line << ": " << out;
    }
}

// ---------------------------------------------------------------- the server, in-process

struct Answer {
    int status = 0;
    std::string body;
    Poco::Net::HTTPResponse response;
    std::string header(const std::string& name) const { return response.get(name, ""); }
};

constexpr std::string_view kValidTrade =
    R"({"trade_id":"T1","version":1,"counter_party_id":"CP-1","book_id":"B1",)"
    R"("maturity_date":"2027-01-31"})";

class RestServerTest : public ::testing::Test {
  protected:
    virtual void adjust(RestConfig&) {}
    void SetUp() override {
        RestConfig config = default_config();
        config.port = 0;
        config.threads = 4;
        config.max_body_bytes = 4096;
        config.max_batch_items = 3;
        config.request_timeout = seconds{5};
        config.docs_dir = "/nonexistent/swagger-ui";
        adjust(config);
        source_ = std::make_unique<RestSource>(config);
        source_->start(host_);
        session_ = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", source_->port());
    }
    void TearDown() override { source_->stop(); }

    Answer send(const std::string& method, const std::string& uri, std::string_view body = {},
                const std::string& content_type = "application/json",
                const std::map<std::string, std::string>& headers = {}, bool chunked = false) {
        return send_on(*session_, method, uri, body, content_type, headers, chunked);
    }
    static Answer send_on(Poco::Net::HTTPClientSession& session, const std::string& method,
                          const std::string& uri, std::string_view body = {},
                          const std::string& content_type = "application/json",
                          const std::map<std::string, std::string>& headers = {},
                          bool chunked = false) {
        Poco::Net::HTTPRequest request(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
        for (const auto& [name, value] : headers) request.set(name, value);
        if (!body.empty() || method == "POST") {
            if (!content_type.empty()) request.setContentType(content_type);
            if (chunked) {
                request.setChunkedTransferEncoding(true);
            } else {
                request.setContentLength(static_cast<std::streamsize>(body.size()));
            }
        }
        std::ostream& out = session.sendRequest(request);
        out.write(body.data(), static_cast<std::streamsize>(body.size()));
        Answer answer;
        std::istream& in = session.receiveResponse(answer.response);
        answer.body.assign(std::istreambuf_iterator<char>(in), {});
        answer.status = answer.response.getStatus();
        return answer;
    }

    // Sends a POST on a connection of its own and returns once a worker holds it inside the
    // ingest, where it stays until `release` is set; the future gives its answer.
    std::future<Answer> post_held_in_ingest(std::promise<void>& release) {
        host_.ingest_.gate = release.get_future().share();
        std::future<void> entered = host_.ingest_.entered.get_future();
        auto answer = std::async(std::launch::async, [this] {
            Poco::Net::HTTPClientSession session("127.0.0.1", source_->port());
            return send_on(session, "POST", "/api/v1/trades", kValidTrade);
        });
        entered.wait();
        return answer;
    }

    FakeHost host_;
    std::unique_ptr<RestSource> source_;
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
};

TEST_F(RestServerTest, LogsWhereItListensAndReportsHealthy) {
    EXPECT_TRUE(host_.logged(LogLevel::Info, "rest-source listening on http://127.0.0.1:" +
                                                 std::to_string(source_->port())));
    EXPECT_TRUE(source_->healthy());
    EXPECT_EQ(source_->health_name(), "rest");
}

TEST_F(RestServerTest, CreateThenReadTheTrade) {
    Answer created = send("POST", "/api/v1/trades", kValidTrade);
    EXPECT_EQ(created.status, 201);
    EXPECT_EQ(created.response.getContentType(), "application/json");
    EXPECT_EQ(created.body,
              R"({"trade_id":"T1","version":1,"counter_party_id":"CP-1","book_id":"B1",)"
              R"("maturity_date":"2027-01-31","created_date":"2026-11-24","expired":false,)"
              R"("last_updated":"2026-11-24T01:00:00.000000Z","outcome":"created"})");
    ASSERT_EQ(host_.ingest_.batches.size(), 1u);
    const Candidate& candidate = host_.ingest_.batches[0].candidates.at(0);
    EXPECT_EQ(candidate.source, "rest");
    EXPECT_EQ(candidate.reference, created.header("X-Request-ID"));
    EXPECT_FALSE(candidate.reference.empty());
    EXPECT_EQ(candidate.trade.created_date, kToday) << "absent created_date is the business date";

    Answer read = send("GET", "/api/v1/trades/T1");  // same keep-alive connection
    EXPECT_EQ(read.status, 200);
    EXPECT_EQ(read.response.getContentLength(), static_cast<std::streamsize>(read.body.size()));
    EXPECT_THAT(read.body, HasSubstr(R"("trade_id":"T1")"));
    EXPECT_THAT(read.body, Not(HasSubstr("outcome")));
    EXPECT_NE(read.header("X-Request-ID"), created.header("X-Request-ID"));

    Answer again = send("POST", "/api/v1/trades", kValidTrade);
    EXPECT_THAT(again.body, HasSubstr(R"("outcome":"replaced")"));
}

TEST_F(RestServerTest, ClientRequestIdIsEchoedAndAudited) {
    Answer created = send("POST", "/api/v1/trades", kValidTrade, "application/json; charset=utf-8",
                          {{"X-Request-ID", "client-42"}});
    EXPECT_EQ(created.status, 201);
    EXPECT_EQ(created.header("X-Request-ID"), "client-42");
    EXPECT_EQ(host_.ingest_.batches.at(0).candidates.at(0).reference, "client-42");
    Answer deleted = send("DELETE", "/api/v1/trades/T1", {}, "", {{"X-Request-ID", "del-1"}});
    EXPECT_EQ(deleted.status, 200);
    EXPECT_EQ(deleted.body, R"({"message":"Trade T1 deleted successfully"})");
    // The delete went through the ingest path as a candidate, not to the store directly.
    const Candidate& deletion = host_.ingest_.batches.at(1).candidates.at(0);
    EXPECT_TRUE(deletion.deletes);
    EXPECT_EQ(deletion.trade.trade_id, "T1");
    EXPECT_EQ(deletion.source + "/" + deletion.reference, "rest/del-1");
    EXPECT_EQ(host_.store_.last_remove, "");
}

TEST_F(RestServerTest, RejectedTradeIs400WithReasons) {
    send(
        "POST", "/api/v1/trades",
        R"({"trade_id":"T1","version":5,"counter_party_id":"C","book_id":"B","maturity_date":"2027-01-31"})");
    Answer rejected = send("POST", "/api/v1/trades", kValidTrade);
    EXPECT_EQ(rejected.status, 400);
    EXPECT_EQ(rejected.body, R"({"detail":"Trade T1: Received version 1 is lower",)"
                             R"("reasons":["LOWER_VERSION"],"trade_id":"T1"})");
}

TEST_F(RestServerTest, ShapeErrors) {
    Answer media = send("POST", "/api/v1/trades", kValidTrade, "text/plain");
    EXPECT_EQ(media.status, 415);
    EXPECT_EQ(media.body, R"({"detail":"Unsupported media type: expected application/json"})");

    Poco::Net::HTTPClientSession fresh("127.0.0.1", source_->port());
    Answer malformed = send_on(fresh, "POST", "/api/v1/trades", R"({"trade_id": })");
    EXPECT_EQ(malformed.status, 400);
    EXPECT_EQ(malformed.body, R"({"detail":"Malformed JSON at offset 13: Invalid value."})");

    Answer invalid = send_on(fresh, "POST", "/api/v1/trades", R"({"trade_id":"","version":"3"})");
    EXPECT_EQ(invalid.status, 422);
    EXPECT_THAT(invalid.body, HasSubstr(R"({"detail":[{"loc":["body","trade_id"],)"
                                        R"("msg":"String should have at least 1 character",)"
                                        R"("type":"string_too_short"},)"));
    EXPECT_THAT(invalid.body, HasSubstr(R"("type":"int_type")"));

    Answer empty = send_on(fresh, "POST", "/api/v1/trades", "");
    EXPECT_EQ(empty.status, 422);
    EXPECT_EQ(empty.body,
              R"({"detail":[{"loc":["body"],"msg":"Field required","type":"missing"}]})");
    EXPECT_TRUE(host_.ingest_.batches.empty());
}

TEST_F(RestServerTest, BodyOverTheLimitIs413ByLengthOrWhileReadingChunks) {
    const std::string big(5000, ' ');
    Answer by_length = send("POST", "/api/v1/trades", big);
    EXPECT_EQ(by_length.status, 413);
    EXPECT_EQ(by_length.body, R"({"detail":"Request body exceeds 4096 bytes"})");

    Poco::Net::HTTPClientSession fresh("127.0.0.1", source_->port());
    Answer chunked = send_on(fresh, "POST", "/api/v1/trades", big, "application/json", {}, true);
    EXPECT_EQ(chunked.status, 413);

    Poco::Net::HTTPClientSession third("127.0.0.1", source_->port());
    Answer small_chunked =
        send_on(third, "POST", "/api/v1/trades", kValidTrade, "application/json", {}, true);
    EXPECT_EQ(small_chunked.status, 201);
}

TEST_F(RestServerTest, IngestUnavailableIs503WithRetryAfter) {
    host_.ingest_.status = IngestStatus::Unavailable;
    Answer answer = send("POST", "/api/v1/trades", kValidTrade);
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.header("Retry-After"), "1");
    EXPECT_EQ(answer.body, R"({"detail":"Service unavailable, retry later"})");
    host_.ingest_.status = IngestStatus::ShuttingDown;
    EXPECT_EQ(send("POST", "/api/v1/trades/batch", "[" + std::string(kValidTrade) + "]").status,
              503);
}

TEST_F(RestServerTest, AnUnknownCommitOutcomeIs503SayingSoAndThatARetryWithTheKeyIsSafe) {
    host_.ingest_.status = IngestStatus::OutcomeUnknown;
    for (const auto& [path, body] :
         {std::pair<std::string, std::string>{"/api/v1/trades", kValidTrade},
          {"/api/v1/trades/batch", "[" + std::string(kValidTrade) + "]"}}) {
        Answer answer = send("POST", path, body);
        EXPECT_EQ(answer.status, 503) << path;
        EXPECT_EQ(answer.header("Retry-After"), "1") << path;
        EXPECT_THAT(answer.body, HasSubstr("outcome of this request is unknown")) << path;
        EXPECT_THAT(answer.body, HasSubstr("same Idempotency-Key is safe")) << path;
    }
}

TEST_F(RestServerTest, BatchAnswersEveryItemInOrderFromOneTransaction) {
    send(
        "POST", "/api/v1/trades",
        R"({"trade_id":"OLD","version":5,"counter_party_id":"C","book_id":"B","maturity_date":"2027-01-31"})");
    host_.ingest_.batches.clear();
    const std::string body =
        "[" + std::string(kValidTrade) + R"(,{"trade_id":"X"},)" +
        R"({"trade_id":"OLD","version":1,"counter_party_id":"C","book_id":"B","maturity_date":"2027-01-31"}])";
    Answer answer = send("POST", "/api/v1/trades/batch", body);
    EXPECT_EQ(answer.status, 200);
    ASSERT_EQ(host_.ingest_.batches.size(), 1u);
    EXPECT_EQ(host_.ingest_.batches[0].candidates.size(), 2u);
    EXPECT_THAT(answer.body,
                HasSubstr(R"([{"index":0,"trade_id":"T1","outcome":"created","trade":{)"));
    EXPECT_THAT(
        answer.body,
        HasSubstr(R"({"index":1,"outcome":"invalid","errors":[{"loc":["body",1,"version"],)"));
    EXPECT_THAT(answer.body,
                HasSubstr(R"({"index":2,"trade_id":"OLD","outcome":"rejected","detail":)"));
    EXPECT_EQ(answer.body.back(), ']');
}

TEST_F(RestServerTest, BatchLimitsAndShape) {
    const std::string item(kValidTrade);
    Answer over = send("POST", "/api/v1/trades/batch",
                       "[" + item + "," + item + "," + item + "," + item + "]");
    EXPECT_EQ(over.status, 413);
    EXPECT_EQ(over.body, R"({"detail":"Batch of 4 items exceeds the limit of 3 items"})");
    Answer object = send("POST", "/api/v1/trades/batch", item);
    EXPECT_EQ(object.status, 422);
    EXPECT_EQ(
        object.body,
        R"({"detail":[{"loc":["body"],"msg":"Input should be a valid list","type":"list_type"}]})");
    Answer empty = send("POST", "/api/v1/trades/batch", "[]");
    EXPECT_EQ(empty.status, 200);
    EXPECT_EQ(empty.body, "[]");
    EXPECT_TRUE(host_.ingest_.batches.empty());
}

TEST_F(RestServerTest, ListsWithPaging) {
    for (const char* id : {"A", "B", "C"}) host_.store_.trades[id] = make_trade(id, 1, "BK");
    Answer page = send("GET", "/api/v1/trades?skip=1&limit=1");
    EXPECT_EQ(page.status, 200);
    EXPECT_THAT(page.body, HasSubstr(R"([{"trade_id":"B",)"));
    EXPECT_THAT(page.body, Not(HasSubstr(R"("trade_id":"C")")));
    Answer bad = send("GET", "/api/v1/trades?limit=0&skip=x");
    EXPECT_EQ(bad.status, 422);
    EXPECT_THAT(bad.body, HasSubstr(R"("loc":["query","skip"])"));
    EXPECT_THAT(bad.body, HasSubstr(R"("loc":["query","limit"])"));
    Answer book = send("GET", "/api/v1/trades/book/BK");
    EXPECT_EQ(book.status, 200);
    EXPECT_THAT(book.body, HasSubstr(R"("trade_id":"C")"));
    EXPECT_EQ(send("GET", "/api/v1/trades/book/none").body, "[]");
}

TEST_F(RestServerTest, MissingTradeIs404) {
    Answer get = send("GET", "/api/v1/trades/T%2F9");
    EXPECT_EQ(get.status, 404);
    EXPECT_EQ(get.body, R"({"detail":"Trade T/9 not found"})");
    EXPECT_EQ(send("DELETE", "/api/v1/trades/nope").body, R"({"detail":"Trade nope not found"})");
}

// A delete a rule refuses is answered as a refused trade; a store that cannot take it, 503.
TEST_F(RestServerTest, ADeleteARuleRefusesIs400AndAStoreDownIs503) {
    send("POST", "/api/v1/trades", kValidTrade);
    host_.ingest_.refuse_deletes = true;
    const Answer refused = send("DELETE", "/api/v1/trades/T1");
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.body, R"({"detail":"Trade T1: book B1 is closed","reasons":["BOOK_CLOSED"],)"
                            R"("trade_id":"T1"})");
    host_.ingest_.refuse_deletes = false;
    host_.ingest_.status = IngestStatus::Unavailable;
    EXPECT_EQ(send("DELETE", "/api/v1/trades/T1").status, 503);
}

TEST_F(RestServerTest, HeadSendsHeadersOnly) {
    host_.store_.trades["T1"] = make_trade("T1");
    Answer head = send("HEAD", "/api/v1/trades/T1");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_GT(head.response.getContentLength(), 100);
    EXPECT_EQ(send("GET", "/api/v1/trades/T1").status, 200) << "connection still usable";
}

TEST_F(RestServerTest, ServiceEndpoints) {
    Answer health = send("GET", "/api/v1/health");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body, R"({"status":"healthy","timestamp":"2026-11-24T06:00:00.000000Z",)"
                           R"("version":"9.9.9","services":{"rest":"up","store":"up"}})");
    EXPECT_EQ(send("GET", "/api/v1/statistics").body,
              R"({"total_trades":0,"active_trades":0,"expired_trades":0})");
    EXPECT_EQ(send("POST", "/api/v1/expire-trades").body,
              R"({"message":"Expiry check completed","trades_expired":2})");
    EXPECT_EQ(host_.expired_by, "rest");
    Answer audit = send("GET", "/api/v1/audit-logs?trade_id=T%201&skip=2&limit=5");
    EXPECT_EQ(audit.status, 200);
    EXPECT_THAT(audit.body, HasSubstr(R"({"logs":[{"id":1,"trade_id":"T 1",)"));
    EXPECT_THAT(audit.body, HasSubstr(R"("count":1})"));
    EXPECT_EQ(host_.store_.last_audit_query.trade_id, "T 1");
    EXPECT_EQ(host_.store_.last_audit_query.skip, 2);
    EXPECT_EQ(host_.store_.last_audit_query.limit, 5);
    EXPECT_EQ(send("GET", "/api/v1/audit-logs?limit=1001").status, 422);
}

// An event store that records the query and answers one event, or is down.
class FakeEventReader final : public EventReader {
  public:
    std::vector<SystemEvent> events(const EventQuery& query) override {
        if (down) throw EventsUnavailable("no server");
        last = query;
        SystemEvent event;
        event.id = "STOPPED:1";
        event.event_type = "STOPPED";
        event.data_json = R"({"pid":7})";
        event.timestamp = Timestamp{kToday} + hours{7};
        return {event};
    }
    EventQuery last;
    bool down = false;
};

TEST_F(RestServerTest, EventsAre404WithoutAnEventStoreThenServedFromIt) {
    Answer none = send("GET", "/api/v1/events");
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.body, R"({"detail":"No event store is configured: events are kept by the )"
                         R"(mongo-audit plugin"})");
    EXPECT_EQ(send("GET", "/api/v1/events?severity=LOUD").status, 422);  // validated first

    FakeEventReader reader;
    host_.events = &reader;
    Answer some = send("GET", "/api/v1/events?event_type=STOPPED&severity=WARNING&skip=3&limit=7");
    EXPECT_EQ(some.status, 200);
    EXPECT_EQ(some.body,
              R"({"events":[{"id":"STOPPED:1","event_type":"STOPPED","severity":"INFO",)"
              R"("data":{"pid":7},"timestamp":"2026-11-24T07:00:00.000000Z"}],"count":1})");
    EXPECT_EQ(reader.last.event_type, "STOPPED");
    EXPECT_EQ(reader.last.severity, EventSeverity::Warning);
    EXPECT_EQ(reader.last.skip, 3);
    EXPECT_EQ(reader.last.limit, 7);
    EXPECT_EQ(send("GET", "/api/v1/events?limit=1001").status, 422);

    reader.down = true;
    Answer down = send("GET", "/api/v1/events");
    EXPECT_EQ(down.status, 503);
    EXPECT_EQ(down.header("Retry-After"), "1");
    EXPECT_TRUE(host_.logged(LogLevel::Warning, "event store unavailable: no server"));
}

TEST_F(RestServerTest, TradeHistoryIs404WhenTheStoreKeepsNone) {
    Answer none = send("GET", "/api/v1/trades/T1/history");
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.body, R"({"detail":"This store keeps no trade history"})");
    EXPECT_EQ(send("GET", "/api/v1/trades/T1/history?limit=0").status, 422);  // validated first
}

TEST_F(RestServerTest, TradeHistoryServesTheVersionsOldestFirst) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    Answer all = send("GET", "/api/v1/trades/T1/history");
    EXPECT_EQ(all.status, 200);
    EXPECT_EQ(all.response.getContentType(), "application/json");
    EXPECT_EQ(all.body, R"({"trade_id":"T1","skip":0,"limit":100,"items":[)" +
                            std::string(kFirstVersionJson) + "," + std::string(kSecondVersionJson) +
                            "]}");
    ASSERT_EQ(host_.store_.history.queries.size(), 1u) << "no second query for a full page";
    const HistoryQuery& query = host_.store_.history.queries.front();
    EXPECT_EQ(query.trade_id, "T1");
    EXPECT_EQ(query.skip, 0);
    EXPECT_EQ(query.limit, 100);
    EXPECT_FALSE(query.from);
    EXPECT_FALSE(query.to);
}

// GET /trades/{id}?as_of=: the version recorded at or before the instant, rendered as GET
// renders a trade, expired as of the business date then; a business date means its close.
TEST_F(RestServerTest, ATradeAsOfAnInstantIsTheVersionRecordedThen) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    const auto version_of = [this](const std::string& as_of) {
        const Answer answer = send("GET", "/api/v1/trades/T1?as_of=" + as_of);
        if (answer.status != 200) return "status " + std::to_string(answer.status);
        const auto at = answer.body.find("\"version\":");
        return answer.body.substr(at, 11);
    };
    EXPECT_EQ(version_of("2026-12-01T00:00:00Z"), "\"version\":1");
    EXPECT_EQ(version_of("2026-12-07T17:00:00Z"), "\"version\":1");  // 1 us before v2
    EXPECT_EQ(version_of("2026-12-07T17:00:00.000001Z"), "\"version\":2");
    EXPECT_EQ(version_of("2026-12-07T18:00:00.000001%2B01:00"), "\"version\":2");
    EXPECT_EQ(version_of("2026-11-24T09:30:00.123455Z"), "status 404");  // before it existed
    EXPECT_EQ(host_.store_.history.instants.back(),
              Timestamp{sys_days{2026y / 11 / 24}} + hours{9} + minutes{30} + microseconds{123455});

    // The whole trade, as GET /trades/{id} renders it.
    const Answer first = send("GET", "/api/v1/trades/T1?as_of=2026-12-01T00:00:00Z");
    EXPECT_EQ(first.body,
              R"({"trade_id":"T1","version":1,"counter_party_id":"CP-1","book_id":"B1",)"
              R"("maturity_date":"2026-12-24","created_date":"2026-11-24","expired":false,)"
              R"("last_updated":"2026-11-24T09:30:00.123456Z"})");
}

TEST_F(RestServerTest, ATradeAsOfABusinessDateIsTheVersionAtItsClose) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    // The fake clock's business days are UTC days: the close of 2026-12-07 is its last
    // microsecond, after v2 (17:00).
    const Answer close = send("GET", "/api/v1/trades/T1?as_of=2026-12-07");
    EXPECT_EQ(close.status, 200);
    EXPECT_THAT(close.body, HasSubstr(R"("version":2)"));
    EXPECT_EQ(host_.store_.history.instants.back(),
              Timestamp{sys_days{2026y / 12 / 8}} - microseconds{1});
    EXPECT_THAT(send("GET", "/api/v1/trades/T1?as_of=2026-12-06").body,
                HasSubstr(R"("version":1)"));
    // expired as of that business date: v2 matures on 2026-12-24.
    EXPECT_THAT(send("GET", "/api/v1/trades/T1?as_of=2026-12-24").body,
                HasSubstr(R"("expired":false)"));
    EXPECT_THAT(send("GET", "/api/v1/trades/T1?as_of=2026-12-25").body,
                HasSubstr(R"("expired":true)"));
    EXPECT_THAT(send("GET", "/api/v1/trades/T1?as_of=2026-12-25T00:00:00Z").body,
                HasSubstr(R"("expired":true)"));
}

TEST_F(RestServerTest, ATradeAsOfAfterItsDeleteOrMalformedAsOfIsRefused) {
    host_.store_.keeps_history = true;
    std::vector<HistoryRecord> versions = two_versions("T1");
    HistoryRecord deleted = versions.back();
    deleted.action = AuditAction::Delete;
    deleted.recorded_at += hours{24};
    versions.push_back(deleted);
    host_.store_.history.records["T1"] = versions;
    const Answer gone = send("GET", "/api/v1/trades/T1?as_of=2026-12-09");
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.body, R"({"detail":"Trade T1 not found"})");
    EXPECT_EQ(send("GET", "/api/v1/trades/T1?as_of=2026-12-08T16:00:00Z").status, 200);
    for (const char* bad : {"yesterday", "2026-13-01", "2026-12-01T10:00:00",
                            "2026-12-01T10:00:00+01:00", "0000-01-01", ""}) {
        const Answer answer = send("GET", std::string("/api/v1/trades/T1?as_of=") + bad);
        EXPECT_EQ(answer.status, 422) << bad;
        EXPECT_THAT(answer.body, HasSubstr(R"("loc":["query","as_of"])")) << bad;
    }
    host_.store_.keeps_history = false;
    const Answer none = send("GET", "/api/v1/trades/T1?as_of=2026-12-09");
    EXPECT_EQ(none.status, 404);
    EXPECT_EQ(none.body, R"({"detail":"This store keeps no trade history"})");
}

// GET /trades?as_of= and /trades/book/{id}?as_of=: the store's snapshot then (trades_at,
// book_at), rendered as the plain lists render trades, expired as of the business date then.
TEST_F(RestServerTest, ListsAsOfAnInstantAreTheSnapshotsRecordedThen) {
    host_.store_.keeps_history = true;
    fakes::FakeHistory& history = host_.store_.history;
    history.records["T1"] = two_versions("T1");  // B1 from 11-24, B2 from 12-07 17:00
    history.records["T2"] = two_versions("T2");
    std::vector<HistoryRecord> t3 = two_versions("T3");
    t3.back().action = AuditAction::Delete;  // deleted on 12-07 17:00, in B2
    history.records["T3"] = t3;
    // "T1:1,T2:1": each listed trade's id and version, in order.
    const auto listed = [this](const std::string& target) {
        const Answer answer = send("GET", target);
        if (answer.status != 200) return "status " + std::to_string(answer.status);
        std::string out;
        for (std::size_t at = answer.body.find("\"trade_id\":\""); at != std::string::npos;
             at = answer.body.find("\"trade_id\":\"", at + 1)) {
            const std::size_t id = at + 12;
            const std::size_t version = answer.body.find("\"version\":", id) + 10;
            if (!out.empty()) out += ',';
            out += answer.body.substr(id, answer.body.find('"', id) - id) + ":" +
                   answer.body.substr(version, answer.body.find(',', version) - version);
        }
        return out;
    };
    EXPECT_EQ(listed("/api/v1/trades?as_of=2026-12-01"), "T1:1,T2:1,T3:1");
    EXPECT_EQ(listed("/api/v1/trades?as_of=2026-12-07"), "T1:2,T2:2");
    EXPECT_EQ(listed("/api/v1/trades?as_of=2026-11-23"), "");
    EXPECT_EQ(listed("/api/v1/trades?as_of=2026-12-01&skip=1&limit=1"), "T2:1");
    ASSERT_FALSE(history.snapshots.empty());
    EXPECT_EQ(history.snapshots.back().skip, 1);
    EXPECT_EQ(history.snapshots.back().limit, 1);
    EXPECT_EQ(history.snapshots.back().at, Timestamp{sys_days{2026y / 12 / 2}} - microseconds{1});
    EXPECT_EQ(listed("/api/v1/trades/book/B1?as_of=2026-12-01"), "T1:1,T2:1,T3:1");
    EXPECT_EQ(listed("/api/v1/trades/book/B1?as_of=2026-12-07T17:00:00.000001Z"), "");
    EXPECT_EQ(listed("/api/v1/trades/book/B2?as_of=2026-12-07T17:00:00.000001Z"), "T1:2,T2:2");
    EXPECT_EQ(history.snapshots.back().book_id, "B2");

    // The whole trade as the plain list renders it, expired as of the business date then.
    EXPECT_THAT(send("GET", "/api/v1/trades/book/B2?as_of=2026-12-24").body,
                Not(HasSubstr(R"("expired":true)")));
    const Answer late = send("GET", "/api/v1/trades/book/B2?as_of=2026-12-25");
    EXPECT_EQ(late.body,
              R"([{"trade_id":"T1","version":2,"counter_party_id":"CP-1","book_id":"B2",)"
              R"("maturity_date":"2026-12-24","created_date":"2026-11-24","expired":true,)"
              R"("last_updated":"2026-12-07T17:00:00.000001Z"},)"
              R"({"trade_id":"T2","version":2,"counter_party_id":"CP-1","book_id":"B2",)"
              R"("maturity_date":"2026-12-24","created_date":"2026-11-24","expired":true,)"
              R"("last_updated":"2026-12-07T17:00:00.000001Z"}])");

    for (const char* target : {"/api/v1/trades?as_of=yesterday", "/api/v1/trades/book/B1?as_of="}) {
        const Answer answer = send("GET", target);
        EXPECT_EQ(answer.status, 422) << target;
        EXPECT_THAT(answer.body, HasSubstr(R"("loc":["query","as_of"])")) << target;
    }
    EXPECT_EQ(send("GET", "/api/v1/trades?as_of=2026-12-01&limit=0").status, 422);
    host_.store_.keeps_history = false;
    for (const char* target :
         {"/api/v1/trades?as_of=2026-12-01", "/api/v1/trades/book/B1?as_of=2026-12-01"}) {
        const Answer none = send("GET", target);
        EXPECT_EQ(none.status, 404) << target;
        EXPECT_EQ(none.body, R"({"detail":"This store keeps no trade history"})");
    }
}

TEST_F(RestServerTest, TradeHistoryPages) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    Answer second = send("GET", "/api/v1/trades/T1/history?skip=1&limit=1");
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(second.body, R"({"trade_id":"T1","skip":1,"limit":1,"items":[)" +
                               std::string(kSecondVersionJson) + "]}");
    EXPECT_EQ(host_.store_.history.queries.back().skip, 1);
    EXPECT_EQ(host_.store_.history.queries.back().limit, 1);
    Answer first = send("GET", "/api/v1/trades/T1/history?limit=1");
    EXPECT_EQ(first.body, R"({"trade_id":"T1","skip":0,"limit":1,"items":[)" +
                              std::string(kFirstVersionJson) + "]}");

    // Past the end: the trade has history, so an empty page, found by one more query.
    host_.store_.history.queries.clear();
    Answer beyond = send("GET", "/api/v1/trades/T1/history?skip=2");
    EXPECT_EQ(beyond.status, 200);
    EXPECT_EQ(beyond.body, R"({"trade_id":"T1","skip":2,"limit":100,"items":[]})");
    ASSERT_EQ(host_.store_.history.queries.size(), 2u);
    const HistoryQuery& probe = host_.store_.history.queries[1];
    EXPECT_EQ(probe.trade_id, "T1");
    EXPECT_EQ(probe.skip, 0);
    EXPECT_EQ(probe.limit, 1);
    EXPECT_FALSE(probe.from);
    EXPECT_FALSE(probe.to);
}

TEST_F(RestServerTest, TradeHistoryPassesFromAndToAsInstants) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    Answer later = send("GET",
                        "/api/v1/trades/T1/history?from=2026-12-01T17:00:00Z"
                        "&to=2026-12-07T18:00:00.000001%2B01:00");
    EXPECT_EQ(later.status, 200);
    EXPECT_EQ(later.body, R"({"trade_id":"T1","skip":0,"limit":100,"items":[)" +
                              std::string(kSecondVersionJson) + "]}");
    ASSERT_EQ(host_.store_.history.queries.size(), 1u);
    const HistoryQuery& query = host_.store_.history.queries.front();
    EXPECT_EQ(query.from, Timestamp{sys_days{2026y / 12 / 1}} + hours{17});
    EXPECT_EQ(query.to, Timestamp{sys_days{2026y / 12 / 7}} + hours{17} + microseconds{1});

    // Nothing in the window of a trade that has history: 200 with no items.
    Answer before = send("GET", "/api/v1/trades/T1/history?to=2026-11-24T09:30:00.123455Z");
    EXPECT_EQ(before.status, 200);
    EXPECT_EQ(before.body, R"({"trade_id":"T1","skip":0,"limit":100,"items":[]})");
    EXPECT_EQ(host_.store_.history.queries[1].to,
              Timestamp{kToday} + hours{9} + minutes{30} + microseconds{123455});
}

TEST_F(RestServerTest, TradeHistoryRefusesEachMalformedParameterWith422) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    for (const auto& [query, name] : std::vector<std::pair<std::string, std::string>>{
             {"skip=-1", "skip"},
             {"skip=x", "skip"},
             {"limit=0", "limit"},
             {"limit=1001", "limit"},
             {"from=2026-12-01", "from"},
             {"from=2026-12-01T17:00:00%2B01:00x", "from"},
             {"to=2026-12-01T17:00:00+01:00", "to"},  // an unescaped '+' is a space
             {"to=", "to"}}) {
        Answer bad = send("GET", "/api/v1/trades/T1/history?" + query);
        EXPECT_EQ(bad.status, 422) << query;
        EXPECT_THAT(bad.body, HasSubstr(R"({"detail":[{"loc":["query",")" + name + R"("],)"))
            << query;
    }
    EXPECT_EQ(send("GET", "/api/v1/trades/T1/history?from=yesterday").body,
              R"({"detail":[{"loc":["query","from"],"msg":"Input should be an RFC 3339 )"
              R"(date-time with an offset, e.g. 2026-12-01T17:00:00Z or )"
              R"x(2026-12-01T17:00:00.123456%2B01:00 (a '+' in a query is sent as %2B)",)x"
              R"("type":"datetime_parsing"}]})");
    EXPECT_TRUE(host_.store_.history.queries.empty()) << "the store is not asked";
}

TEST_F(RestServerTest, TradeHistoryOfAnUnknownTradeIs404) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    Answer unknown = send("GET", "/api/v1/trades/T%2F9/history");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body, R"({"detail":"Trade T/9 not found"})");
    EXPECT_EQ(host_.store_.history.queries.size(), 1u) << "its own query said so";
    Answer windowed = send("GET", "/api/v1/trades/nope/history?skip=1&from=2026-12-01T17:00:00Z");
    EXPECT_EQ(windowed.status, 404);
    EXPECT_EQ(windowed.body, R"({"detail":"Trade nope not found"})");
    EXPECT_EQ(host_.store_.history.queries.size(), 3u);
}

TEST_F(RestServerTest, UnknownPathAndWrongMethod) {
    Answer unknown = send("GET", "/api/v1/nothing");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body, R"({"detail":"Not Found"})");
    Answer wrong = send("PUT", "/api/v1/health");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.body, R"({"detail":"Method Not Allowed"})");
    EXPECT_EQ(wrong.header("Allow"), "GET, HEAD");
    EXPECT_FALSE(wrong.header("X-Request-ID").empty());
}

TEST_F(RestServerTest, StoreFailuresNeverLeakInternals) {
    host_.store_.fail_with_unavailable = true;
    Answer unavailable = send("GET", "/api/v1/trades/T1");
    EXPECT_EQ(unavailable.status, 503);
    EXPECT_EQ(unavailable.header("Retry-After"), "1");
    host_.store_.fail_with_unavailable = false;
    host_.store_.fail_with_error = true;
    Answer failed = send("GET", "/api/v1/trades/T1", {}, "", {{"X-Request-ID", "r-500"}});
    EXPECT_EQ(failed.status, 500);
    EXPECT_EQ(failed.body, R"({"detail":"Internal server error"})");
    EXPECT_TRUE(host_.logged(LogLevel::Error,
                             "GET /api/v1/trades/T1 (request r-500) failed: "
                             "secret internal detail"));
}

TEST_F(RestServerTest, SecondServerOnTheSamePortFailsWithOneLine) {
    RestConfig config = default_config();
    config.port = source_->port();
    RestSource second(config);
    FakeHost other;
    try {
        second.start(other);
        FAIL() << "started twice on one port";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "rest-source: cannot listen on 127.0.0.1:" + std::to_string(source_->port()) +
                      ": Address already in use");
    }
    EXPECT_FALSE(second.healthy());
}

TEST_F(RestServerTest, StopWaitsForTheRequestInFlightAndItsAnswer) {
    std::promise<void> release;
    std::future<Answer> request = post_held_in_ingest(release);
    auto stopping = std::async(std::launch::async, [this] { source_->stop(); });
    EXPECT_EQ(stopping.wait_for(milliseconds(300)), std::future_status::timeout)
        << "stop() returned while a request was in flight";
    EXPECT_FALSE(source_->healthy());
    release.set_value();
    const Answer answer = request.get();
    EXPECT_EQ(answer.status, 201);
    EXPECT_FALSE(answer.response.getKeepAlive()) << "answers while stopping close the connection";
    stopping.get();
}

class InFlightLimitTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.threads = 1;
        config.max_in_flight = 1;
    }
};

TEST_F(InFlightLimitTest, BeyondMaxInFlightA503AtOnceNotAQueue) {
    std::promise<void> release;
    std::future<Answer> first = post_held_in_ingest(release);  // the one request allowed
    Poco::Net::HTTPClientSession other("127.0.0.1", source_->port());
    const Answer refused = send_on(other, "GET", "/api/v1/health/live");
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.header("Retry-After"), "1");
    EXPECT_EQ(refused.body, R"({"detail":"Service unavailable, retry later"})");
    release.set_value();
    EXPECT_EQ(first.get().status, 201);
    Poco::Net::HTTPClientSession again("127.0.0.1", source_->port());
    EXPECT_EQ(send_on(again, "GET", "/api/v1/health/live").status, 200) << "positive control";
}

class SplitWorkerPoolsTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.threads = 1;
        config.read_threads = 1;
    }
};

TEST_F(SplitWorkerPoolsTest, ReadsAreServedWhileEveryWriteWorkerWaitsOnACommit) {
    std::promise<void> release;
    std::future<Answer> write = post_held_in_ingest(release);  // the only write worker
    Poco::Net::HTTPClientSession reader("127.0.0.1", source_->port());
    reader.setTimeout(Poco::Timespan(5, 0));  // one shared pool would leave these waiting
    auto status_of = [&reader](const std::string& method, const std::string& uri) {
        try {
            return send_on(reader, method, uri).status;
        } catch (const Poco::Exception&) {
            return 0;  // timed out
        }
    };
    const int read_status = status_of("GET", "/api/v1/trades/T1");
    const int head_status = status_of("HEAD", "/api/v1/health/live");
    release.set_value();
    EXPECT_EQ(read_status, 404);
    EXPECT_EQ(head_status, 200);
    EXPECT_EQ(write.get().status, 201);
    EXPECT_EQ(send_on(reader, "GET", "/api/v1/trades/T1").status, 200) << "the write landed";
}

TEST_F(RestServerTest, StopClosesIdleKeepAliveConnectionsAtOnce) {
    EXPECT_EQ(send("GET", "/api/v1/health").status, 200);  // session_ stays open and idle
    const auto started = steady_clock::now();
    source_->stop();
    EXPECT_LT(steady_clock::now() - started, seconds{2}) << "waited for an idle connection";
    EXPECT_FALSE(source_->healthy());
}

// ---------------------------------------------------------------- probes, metrics, service routes

TEST_F(RestServerTest, LivenessAndReadinessProbes) {
    Answer live = send("GET", "/api/v1/health/live");
    EXPECT_EQ(live.status, 200);
    EXPECT_EQ(live.body, R"({"status":"alive"})");
    Answer ready = send("GET", "/api/v1/health/ready");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, R"({"status":"ready","services":{"rest":"up","store":"up"}})");

    host_.store_up = false;
    Answer not_ready = send("GET", "/api/v1/health/ready");
    EXPECT_EQ(not_ready.status, 503);
    EXPECT_EQ(not_ready.body, R"({"status":"not ready","detail":"store is down",)"
                              R"("services":{"rest":"up","store":"down"}})");
    EXPECT_EQ(send("GET", "/api/v1/health/live").status, 200) << "alive while the store is down";
}

TEST_F(RestServerTest, MetricsCountRequestsByRouteTemplateAndStatus) {
    send("POST", "/api/v1/trades", kValidTrade);
    send("GET", "/api/v1/trades/T1");
    send("GET", "/api/v1/trades/T1");
    send("GET", "/api/v1/trades/NOPE");
    send("GET", "/api/v1/nothing");
    Answer metrics = send("GET", "/metrics");
    EXPECT_EQ(metrics.status, 200);
    EXPECT_EQ(metrics.response.getContentType(), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_THAT(metrics.body, HasSubstr("# TYPE tradestore_http_requests_total counter"));
    EXPECT_THAT(metrics.body, HasSubstr(R"(tradestore_http_requests_total{method="GET",)"
                                        R"(route="/api/v1/trades/{trade_id}",status="200"} 2)"));
    EXPECT_THAT(metrics.body, HasSubstr(R"(tradestore_http_requests_total{method="GET",)"
                                        R"(route="/api/v1/trades/{trade_id}",status="404"} 1)"));
    EXPECT_THAT(metrics.body, HasSubstr(R"(tradestore_http_requests_total{method="POST",)"
                                        R"(route="/api/v1/trades",status="201"} 1)"));
    EXPECT_THAT(metrics.body, HasSubstr(R"(tradestore_http_requests_total{method="other",)"
                                        R"(route="unmatched",status="404"} 1)"));
    EXPECT_THAT(metrics.body, Not(HasSubstr("NOPE"))) << "raw paths never become labels";
    EXPECT_THAT(metrics.body,
                HasSubstr(R"(tradestore_http_request_duration_seconds_bucket{)"
                          R"(method="GET",route="/api/v1/trades/{trade_id}",le="+Inf"} 3)"));
    EXPECT_THAT(metrics.body, HasSubstr("tradestore_http_open_connections 1"));
    EXPECT_THAT(metrics.body, HasSubstr("process_resident_memory_bytes "));
}

class MetricsTokenTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override { config.metrics_token = "s3cret-token"; }
};

TEST_F(MetricsTokenTest, MetricsNeedTheBearerToken) {
    Answer refused = send("GET", "/metrics");
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.header("WWW-Authenticate"), R"(Bearer realm="tradestore")");
    Answer wrong = send("GET", "/metrics", {}, "", {{"Authorization", "Bearer wrong-token!"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.header("WWW-Authenticate"),
              R"(Bearer realm="tradestore", error="invalid_token")");
    EXPECT_EQ(send("GET", "/api/v1/trades/T1").status, 404) << "the API stays open";
    Answer allowed = send("GET", "/metrics", {}, "", {{"Authorization", "Bearer s3cret-token"}});
    EXPECT_EQ(allowed.status, 200);
    EXPECT_THAT(allowed.body, HasSubstr("tradestore_http_requests_total"));
}

TEST_F(RestServerTest, ServiceInfoOpenApiAndDocsWithoutAssets) {
    Answer info = send("GET", "/");
    EXPECT_EQ(info.status, 200);
    EXPECT_EQ(info.body, R"({"name":"TradeStore","version":"9.9.9","docs":"/docs",)"
                         R"("openapi":"/openapi.json","health":"/api/v1/health"})");
    Answer document = send("GET", "/openapi.json");
    EXPECT_EQ(document.status, 200);
    EXPECT_EQ(document.response.getContentType(), "application/json");
    EXPECT_THAT(document.body, HasSubstr(R"("openapi":"3.1.0")"));
    Answer docs = send("GET", "/docs");
    EXPECT_EQ(docs.status, 404);
    EXPECT_THAT(docs.body, HasSubstr("assets were not installed"));
    EXPECT_EQ(send("GET", "/docs/swagger-ui-bundle.js").status, 404);
    EXPECT_EQ(send("POST", "/openapi.json").status, 405);
}

// SIGHUP swaps the authenticator while workers check tokens with the one they loaded; a token
// present in every config must be accepted throughout. Under the tsan preset this is also the
// race check between the reload thread, the reactor and the workers.
class AuthReloadTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.auth.tokens.push_back({{"steady", Role::Reader}, sha256("steady-token")});
    }
};

TEST_F(AuthReloadTest, ReloadsWhileRequestsRunNeverRefuseAStandingToken) {
    const std::string steady = "reader:sha256:" + to_hex(sha256("steady-token"));
    const std::string rotating = "admin:sha256:" + to_hex(sha256("rotating-token"));
    std::atomic<bool> done{false};
    std::atomic<int> wrong{0};
    std::atomic<int> served{0};
    const auto client = [&] {
        Poco::Net::HTTPClientSession session("127.0.0.1", source_->port());
        while (!done.load()) {
            // A reader may look; the trade does not exist: 404, never 401.
            if (send_on(session, "GET", "/api/v1/trades/T1", {}, "",
                        {{"Authorization", "Bearer steady-token"}})
                    .status != 404) {
                ++wrong;
            }
            const int status = send_on(session, "GET", "/api/v1/trades/T1", {}, "",
                                       {{"Authorization", "Bearer rotating-token"}})
                                   .status;
            if (status != 404 && status != 401) ++wrong;
            ++served;
        }
    };
    std::thread first(client);
    std::thread second(client);
    for (int i = 0; i < 40; ++i) {
        std::map<std::string, std::string, std::less<>> values{{"auth.tokens.steady", steady}};
        if (i % 2 == 1) values["auth.tokens.rotating"] = rotating;
        source_->reload(Settings(std::move(values)));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    done = true;
    first.join();
    second.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_GT(served.load(), 0);
    // The last config has the rotating token: it is in force.
    EXPECT_EQ(send("GET", "/api/v1/trades/T1", {}, "", {{"Authorization", "Bearer rotating-token"}})
                  .status,
              404);
}

// The history is read with the reader role, like GET /trades/{id}.
class HistoryAuthTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.auth.tokens.push_back({{"looker", Role::Reader}, sha256("reader-token")});
    }
};

TEST_F(HistoryAuthTest, AReaderMayReadItWithoutATokenNobodyMay) {
    host_.store_.keeps_history = true;
    host_.store_.history.records["T1"] = two_versions("T1");
    Answer anonymous = send("GET", "/api/v1/trades/T1/history");
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(anonymous.body, R"({"detail":"Not authenticated"})");
    EXPECT_EQ(
        send("GET", "/api/v1/trades/T1/history", {}, "", {{"Authorization", "Bearer wrong-token!"}})
            .status,
        401);
    EXPECT_TRUE(host_.store_.history.queries.empty());
    Answer reader = send("GET", "/api/v1/trades/T1/history", {}, "",
                         {{"Authorization", "Bearer reader-token"}});
    EXPECT_EQ(reader.status, 200);
    EXPECT_THAT(reader.body, HasSubstr(kSecondVersionJson));
}

// Access is decided on the header, before the body is read: a caller without a fitting token
// gets its 401/403 (and the connection closed) while its body is still unsent, and never a
// 100 Continue. Raw sockets, because an HTTP client would send the body first.
class EarlyAuthTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.auth.tokens.push_back({{"ci", Role::Writer}, sha256("writer-token")});
        config.auth.tokens.push_back({{"looker", Role::Reader}, sha256("reader-token")});
    }

    // A loopback connection that gives up reading after two seconds of silence.
    struct RawClient {
        int fd = -1;
        explicit RawClient(std::uint16_t port) {
            fd = ::socket(AF_INET, SOCK_STREAM, 0);
            timeval timeout{2, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
            sockaddr_in address{};
            address.sin_family = AF_INET;
            address.sin_port = htons(port);
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                ::close(fd);
                fd = -1;
            }
        }
        ~RawClient() {
            if (fd >= 0) ::close(fd);
        }
        bool send_all(std::string_view bytes) const {
            return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                   static_cast<ssize_t>(bytes.size());
        }
        // Reads until `until` has arrived, the server closes or two seconds pass.
        std::string read(std::string_view until = {}) const {
            std::string got;
            char buffer[4096];
            while (until.empty() || got.find(until) == std::string::npos) {
                const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                got.append(buffer, static_cast<std::size_t>(n));
            }
            return got;
        }
    };

    static std::string post_header(std::string_view extra, std::size_t length) {
        return "POST /api/v1/trades HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
               std::to_string(length) + "\r\n" + std::string(extra) + "\r\n";
    }

    std::size_t auth_lines() {
        std::size_t count = 0;
        for (const auto& [message, id] : host_.logged_contexts()) {
            if (message.starts_with("refused ")) ++count;
        }
        return count;
    }
};

TEST_F(EarlyAuthTest, NoTokenIs401BeforeAnyBodyByte) {
    RawClient client(source_->port());
    ASSERT_GE(client.fd, 0);
    ASSERT_TRUE(client.send_all(post_header("X-Request-ID: early-1\r\n", 4000)));
    const std::string answer = client.read();  // the server closes after the answer
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 401 ")) << answer;
    EXPECT_THAT(answer, HasSubstr("WWW-Authenticate: Bearer realm=\"tradestore\"\r\n"));
    EXPECT_THAT(answer, HasSubstr("Connection: Close\r\n"));
    EXPECT_THAT(answer, HasSubstr("X-Request-ID: early-1\r\n"));
    EXPECT_TRUE(answer.ends_with("\r\n\r\n{\"detail\":\"Not authenticated\"}")) << answer;
    EXPECT_EQ(auth_lines(), 1u);
    EXPECT_TRUE(host_.logged(LogLevel::Warning,
                             "refused 401 outcome=missing_token method=POST path=/api/v1/trades"));
    EXPECT_TRUE(host_.ingest_.batches.empty());
}

TEST_F(EarlyAuthTest, ExpectContinueWithoutAFittingTokenGetsNoContinue) {
    RawClient anonymous(source_->port());
    ASSERT_TRUE(anonymous.send_all(post_header("Expect: 100-continue\r\n", 4000)));
    const std::string refused = anonymous.read();
    EXPECT_TRUE(refused.starts_with("HTTP/1.1 401 ")) << refused;
    EXPECT_THAT(refused, Not(HasSubstr("100 Continue")));

    RawClient reader(source_->port());
    ASSERT_TRUE(reader.send_all(
        post_header("Expect: 100-continue\r\nAuthorization: Bearer reader-token\r\n", 4000)));
    const std::string forbidden = reader.read();
    EXPECT_TRUE(forbidden.starts_with("HTTP/1.1 403 ")) << forbidden;
    EXPECT_THAT(forbidden, HasSubstr("error=\"insufficient_scope\""));
    EXPECT_THAT(forbidden, HasSubstr("needs the writer role"));
    EXPECT_EQ(auth_lines(), 2u);
}

TEST_F(EarlyAuthTest, AWriterGetsContinueThenItsAnswerAndFailuresCountOnce) {
    RawClient writer(source_->port());
    ASSERT_TRUE(writer.send_all(post_header(
        "Expect: 100-continue\r\nAuthorization: Bearer writer-token\r\nConnection: close\r\n",
        kValidTrade.size())));
    EXPECT_EQ(writer.read("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(writer.send_all(kValidTrade));
    EXPECT_TRUE(writer.read().starts_with("HTTP/1.1 201 "));
    EXPECT_EQ(host_.ingest_.batches.size(), 1u);

    // A body that arrives with its header is checked by the worker only: still one line each.
    RawClient bad(source_->port());
    ASSERT_TRUE(bad.send_all(post_header("Authorization: Bearer wrong-token!\r\n", 4000)));
    EXPECT_TRUE(bad.read().starts_with("HTTP/1.1 401 "));
    EXPECT_EQ(send("POST", "/api/v1/trades", kValidTrade).status, 401);
    EXPECT_EQ(auth_lines(), 2u);
    const std::string metrics = host_.metrics_.render_prometheus();
    EXPECT_THAT(metrics, HasSubstr("tradestore_auth_failures_total{reason=\"invalid_token\"} 1\n"));
    EXPECT_THAT(metrics, HasSubstr("tradestore_auth_failures_total{reason=\"missing_token\"} 1\n"));
}

class DocsInstalledTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        dir_ = std::filesystem::temp_directory_path() /
               ("tradestore-docs-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        std::ofstream(dir_ / "swagger-ui.css") << "body{}";
        std::ofstream(dir_ / "swagger-ui-bundle.js") << "var SwaggerUIBundle=1;";
        std::ofstream(dir_ / "secret.txt") << "not served";
        config.docs_dir = dir_.string();
    }
    void TearDown() override {
        RestServerTest::TearDown();
        std::filesystem::remove_all(dir_);
    }
    std::filesystem::path dir_;
};

TEST_F(DocsInstalledTest, ServesTheSwaggerPageAndOnlyKnownAssets) {
    Answer page = send("GET", "/docs");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.response.getContentType(), "text/html; charset=utf-8");
    EXPECT_THAT(page.body, HasSubstr(R"(url: "/openapi.json")"));
    Answer script = send("GET", "/docs/swagger-ui-bundle.js");
    EXPECT_EQ(script.status, 200);
    EXPECT_EQ(script.body, "var SwaggerUIBundle=1;");
    EXPECT_EQ(script.response.getContentType(), "application/javascript; charset=utf-8");
    EXPECT_EQ(send("GET", "/docs/secret.txt").status, 404);
    EXPECT_EQ(send("GET", "/docs/..%2Fsecret.txt").status, 404);
}

class CorsTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        config.cors.allowed_origins = {"https://ui.example"};
    }
};

TEST_F(CorsTest, AllowedOriginGetsTheHeadersAndPreflight) {
    Answer get = send("GET", "/api/v1/health", {}, "", {{"Origin", "https://ui.example"}});
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.header("Access-Control-Allow-Origin"), "https://ui.example");
    EXPECT_EQ(get.header("Vary"), "Origin");
    EXPECT_THAT(get.header("Access-Control-Expose-Headers"), HasSubstr("X-Request-ID"));

    Answer preflight = send("OPTIONS", "/api/v1/trades", {}, "",
                            {{"Origin", "https://ui.example"},
                             {"Access-Control-Request-Method", "POST"},
                             {"Access-Control-Request-Headers", "content-type"}});
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "https://ui.example");
    EXPECT_EQ(preflight.header("Access-Control-Allow-Methods"), "GET, POST, DELETE");
    EXPECT_EQ(preflight.header("Access-Control-Allow-Headers"),
              "Content-Type, X-Request-ID, Authorization, Idempotency-Key, X-Min-LSN");
    EXPECT_EQ(preflight.header("Access-Control-Max-Age"), "600");
}

TEST_F(CorsTest, RefusedOriginGetsNoCorsHeaders) {
    Answer get = send("GET", "/api/v1/health", {}, "", {{"Origin", "https://evil.example"}});
    EXPECT_EQ(get.status, 200);
    EXPECT_EQ(get.header("Access-Control-Allow-Origin"), "");
    Answer preflight =
        send("OPTIONS", "/api/v1/trades", {}, "",
             {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(preflight.status, 400);
    EXPECT_EQ(preflight.body, R"({"detail":"Disallowed CORS origin"})");
    EXPECT_EQ(preflight.header("Access-Control-Allow-Origin"), "");
}

TEST_F(RestServerTest, CorsIsOffByDefault) {
    Answer get = send("GET", "/api/v1/health", {}, "", {{"Origin", "https://ui.example"}});
    EXPECT_EQ(get.header("Access-Control-Allow-Origin"), "");
    Answer options =
        send("OPTIONS", "/api/v1/trades", {}, "",
             {{"Origin", "https://ui.example"}, {"Access-Control-Request-Method", "POST"}});
    EXPECT_EQ(options.status, 405);
}

class AccessLogTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override { config.access_log = true; }
};

TEST_F(AccessLogTest, EveryRequestIsLoggedWithItsRequestId) {
    send("GET", "/api/v1/trades/T9", {}, "", {{"X-Request-ID", "trace-77"}});
    bool found = false;
    for (const auto& [message, request_id] : host_.logged_contexts()) {
        if (request_id == "trace-77" && message.find("GET /api/v1/trades/T9 404") == 0)
            found = true;
    }
    EXPECT_TRUE(found);
}

// HTTPS with a context swapped at run time (RestSource::reload_tls): certificates from
// scripts/test-certs.sh, a client written on OpenSSL directly that checks the chain only.
class TlsReloadTest : public RestServerTest {
  protected:
    void adjust(RestConfig& config) override {
        char pattern[] = "/tmp/tradestore-tls-reload-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        dir_ = pattern;
        for (const char* set : {"a", "b"}) {
            const std::string command = std::string(TRADESTORE_SOURCE_DIR) +
                                        "/scripts/test-certs.sh " + dir_ + "/" + set +
                                        " 2>/dev/null";
            ASSERT_EQ(std::system(command.c_str()), 0);
        }
        use_certificates("a");
        config.tls.certificate = dir_ + "/server.pem";
        config.tls.private_key = dir_ + "/server.key";
    }
    void TearDown() override {
        RestServerTest::TearDown();
        std::filesystem::remove_all(dir_);
    }
    void use_certificates(const std::string& set) {
        for (const char* file : {"server.pem", "server.key"}) {
            std::filesystem::copy_file(dir_ + "/" + set + "/" + file, dir_ + "/" + file,
                                       std::filesystem::copy_options::overwrite_existing);
        }
    }

    // One TLS connection trusting only the CA of `set`.
    struct Client {
        SSL_CTX* context = nullptr;
        SSL* ssl = nullptr;
        int fd = -1;
        ~Client() {
            if (ssl != nullptr) SSL_free(ssl);
            if (context != nullptr) SSL_CTX_free(context);
            if (fd >= 0) ::close(fd);
        }
    };
    bool connect_trusting(Client& client, const std::string& set) {
        client.context = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(client.context, SSL_VERIFY_PEER, nullptr);
        const std::string ca = dir_ + "/" + set + "/ca.pem";
        if (SSL_CTX_load_verify_locations(client.context, ca.c_str(), nullptr) != 1) return false;
        client.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(source_->port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(client.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            return false;
        }
        client.ssl = SSL_new(client.context);
        SSL_set_fd(client.ssl, client.fd);
        const bool ok = SSL_connect(client.ssl) == 1;
        ERR_clear_error();
        return ok;
    }
    static std::string get_live(Client& client) {
        const std::string request = "GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
        if (SSL_write(client.ssl, request.data(), static_cast<int>(request.size())) <= 0) return "";
        char buffer[4096];
        const int got = SSL_read(client.ssl, buffer, sizeof buffer);
        return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)).substr(0, 12) : "";
    }

    std::string dir_;
};

TEST_F(TlsReloadTest, NewConnectionsUseTheReloadedCertificateEstablishedOnesKeepTheirs) {
    EXPECT_TRUE(host_.logged(LogLevel::Info, "rest-source listening on https://127.0.0.1:" +
                                                 std::to_string(source_->port())));
    Client established;
    ASSERT_TRUE(connect_trusting(established, "a"));
    EXPECT_EQ(get_live(established), "HTTP/1.1 200");
    {
        Client wrong_ca;
        EXPECT_FALSE(connect_trusting(wrong_ca, "b")) << "positive control for the swap below";
    }

    use_certificates("b");
    source_->reload_tls();
    EXPECT_EQ(get_live(established), "HTTP/1.1 200") << "the open connection keeps its session";
    {
        Client fresh;
        ASSERT_TRUE(connect_trusting(fresh, "b"));
        EXPECT_EQ(get_live(fresh), "HTTP/1.1 200");
    }
    {
        Client old_ca;
        EXPECT_FALSE(connect_trusting(old_ca, "a"));
    }

    // Files that do not load: reload_tls() says so and the current certificate stays.
    std::ofstream(dir_ + "/server.key") << "not a key";
    EXPECT_THROW(source_->reload_tls(), std::runtime_error);
    Client after_failure;
    ASSERT_TRUE(connect_trusting(after_failure, "b"));
    EXPECT_EQ(get_live(after_failure), "HTTP/1.1 200");
}

}  // namespace
}  // namespace tradestore::rest
