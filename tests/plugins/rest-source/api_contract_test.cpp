// The API contract: GET /openapi.json against the router it documents and the codec whose
// constraints it states. Fails when a route is in the router but not in the document (or the
// other way round), or when a schema constraint and the codec's behaviour disagree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "api/history_query.h"
#include "api/openapi.h"
#include "api/query_params.h"
#include "api/read_floor.h"
#include "api/response_bodies.h"
#include "api/router.h"
#include "trade_codec.h"
#include "transport/plain_answers.h"

namespace tradestore::rest {
namespace {

using ::testing::ElementsAreArray;

class ApiContractTest : public ::testing::Test {
  protected:
    void SetUp() override {
        text_ = openapi_json({"1.2.3", 4096, 7});
        document_.Parse(text_.c_str(), text_.size());
        ASSERT_FALSE(document_.HasParseError()) << "the document is not JSON";
    }

    const rapidjson::Value& at(std::initializer_list<const char*> path) const {
        const rapidjson::Value* value = &document_;
        for (const char* key : path) {
            EXPECT_TRUE(value->IsObject() && value->HasMember(key)) << "missing " << key;
            if (!value->IsObject() || !value->HasMember(key)) return document_;
            value = &(*value)[key];
        }
        return *value;
    }

    static std::set<std::string> keys(const rapidjson::Value& object) {
        std::set<std::string> names;
        for (const auto& member : object.GetObject()) names.insert(member.name.GetString());
        return names;
    }

    // The schema a "$ref" points at, or the value itself.
    const rapidjson::Value& resolve(const rapidjson::Value& value) const {
        if (!value.IsObject() || !value.HasMember("$ref")) return value;
        std::string ref = value["$ref"].GetString();
        EXPECT_EQ(ref.rfind("#/components/", 0), 0u) << ref;
        const rapidjson::Value* target = &document_["components"];
        ref = ref.substr(std::string("#/components/").size());
        for (std::size_t slash; !ref.empty();
             ref = slash == std::string::npos ? "" : ref.substr(slash + 1)) {
            slash = ref.find('/');
            const std::string key = ref.substr(0, slash);
            EXPECT_TRUE(target->HasMember(key.c_str()))
                << "dangling $ref " << value["$ref"].GetString();
            if (!target->HasMember(key.c_str())) return value;
            target = &(*target)[key.c_str()];
        }
        return *target;
    }

    // Every (METHOD, path template) the document describes.
    std::set<std::pair<std::string, std::string>> documented() const {
        std::set<std::pair<std::string, std::string>> operations;
        for (const auto& path : document_["paths"].GetObject()) {
            for (const auto& op : path.value.GetObject()) {
                std::string method = op.name.GetString();
                for (char& c : method) c = static_cast<char>(c - 'a' + 'A');
                operations.emplace(method, path.name.GetString());
            }
        }
        return operations;
    }

    static std::string concrete(std::string path) {
        for (std::size_t open; (open = path.find('{')) != std::string::npos;) {
            path.replace(open, path.find('}', open) - open + 1, "X1");
        }
        return path;
    }

    std::string text_;
    rapidjson::Document document_;
};

TEST_F(ApiContractTest, IsOpenApi31WithInfo) {
    EXPECT_STREQ(at({"openapi"}).GetString(), "3.1.0");
    EXPECT_STREQ(at({"info", "version"}).GetString(), "1.2.3");
    EXPECT_STREQ(at({"info", "title"}).GetString(), "TradeStore API");
}

TEST_F(ApiContractTest, EveryRouterRouteIsDocumentedAndNothingElse) {
    std::set<std::pair<std::string, std::string>> routed;
    for (const ApiRoute& route : api_routes()) {
        routed.emplace(std::string(route.method),
                       std::string(kApiPrefix) + std::string(route.path));
    }
    EXPECT_EQ(documented(), routed);
}

TEST_F(ApiContractTest, TheRouterAnswersEveryDocumentedOperationAsDocumented) {
    for (const auto& [method, path] : documented()) {
        const RouteMatch match = match_route(method, concrete(path));
        ASSERT_EQ(match.kind, RouteMatch::Kind::Found) << method << " " << path;
        ASSERT_LT(match.route, api_routes().size());
        const ApiRoute& route = api_routes()[match.route];
        std::string lower = method;
        for (char& c : lower) c = static_cast<char>(c - 'A' + 'a');
        EXPECT_EQ(std::string(route.operation_id),
                  at({"paths", path.c_str(), lower.c_str(), "operationId"}).GetString())
            << method << " " << path;
    }
}

TEST_F(ApiContractTest, NoUndocumentedMethodOrPathIsRouted) {
    // Every method on every documented path, plus neighbours of them: the router finds an
    // operation exactly when the document has it (HEAD goes with GET).
    const auto operations = documented();
    std::set<std::string> paths;
    for (const auto& [method, path] : operations) {
        paths.insert(path);
        paths.insert(path + "/extra");
        paths.insert(path.substr(0, path.rfind('/')));
    }
    for (const std::string& path : paths) {
        for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
            const std::string documented_method = std::string(method) == "HEAD" ? "GET" : method;
            bool in_document = operations.count({documented_method, path}) != 0;
            // A concrete path may match a template elsewhere (GET /trades/batch reads a trade).
            const RouteMatch match = match_route(method, concrete(path));
            if (match.kind == RouteMatch::Kind::Found && !in_document) {
                ASSERT_LT(match.route, api_routes().size()) << method << " " << path;
                const ApiRoute& route = api_routes()[match.route];
                in_document = operations.count(
                    {std::string(route.method), std::string(kApiPrefix) + std::string(route.path)});
            }
            EXPECT_EQ(match.kind == RouteMatch::Kind::Found, in_document) << method << " " << path;
        }
    }
}

TEST_F(ApiContractTest, EveryOperationDocumentsItsErrorsWithExamples) {
    const std::map<std::string, std::vector<std::string>> expected = {
        {"createTrade", {"201", "400", "409", "413", "415", "422", "503", "401", "403"}},
        {"createTradesBatch", {"200", "400", "409", "413", "415", "422", "503", "401", "403"}},
        {"listTrades", {"200", "400", "404", "422", "503", "401", "403"}},
        {"listTradesByBook", {"200", "400", "404", "422", "503", "401", "403"}},
        {"getTrade", {"200", "400", "404", "422", "503", "401", "403"}},
        {"deleteTrade", {"200", "400", "404", "503", "401", "403"}},
        {"getTradeHistory", {"200", "400", "404", "422", "503", "401", "403"}},
        {"getHealth", {"200", "401", "403"}},
        {"getLiveness", {"200", "401"}},
        {"getReadiness", {"200", "503", "401"}},
        {"getStatistics", {"200", "400", "503", "401", "403"}},
        {"expireTrades", {"200", "503", "401", "403"}},
        {"listAuditLogs", {"200", "400", "422", "503", "401", "403"}},
        {"listEvents", {"200", "404", "422", "503", "401", "403"}},
    };
    std::set<std::string> seen;
    for (const auto& path : document_["paths"].GetObject()) {
        for (const auto& op : path.value.GetObject()) {
            const std::string id = op.value["operationId"].GetString();
            seen.insert(id);
            std::vector<std::string> statuses;
            for (const auto& response : op.value["responses"].GetObject()) {
                statuses.emplace_back(response.name.GetString());
                const rapidjson::Value& body = resolve(response.value);
                ASSERT_TRUE(body.HasMember("content")) << id << " " << statuses.back();
                const rapidjson::Value& media = body["content"]["application/json"];
                resolve(media["schema"]);
                if (statuses.back()[0] == '4' || statuses.back() == "503") {
                    if (id == "getReadiness") continue;  // its 503 is the readiness report
                    ASSERT_TRUE(media.HasMember("examples")) << id << " " << statuses.back();
                    EXPECT_GT(media["examples"].MemberCount(), 0u);
                    ASSERT_TRUE(body["headers"].HasMember("X-Request-ID"));
                }
            }
            ASSERT_TRUE(expected.count(id)) << "unexpected operation " << id;
            EXPECT_THAT(statuses, ElementsAreArray(expected.at(id))) << id;
        }
    }
    EXPECT_EQ(seen.size(), expected.size());
    // 405 and 500 have no operation of their own; they are documented once, with examples.
    for (const char* name :
         {"MethodNotAllowed", "InternalError", "BadRequest", "NotFound", "PayloadTooLarge",
          "UnsupportedMediaType", "ValidationFailed", "Unavailable", "MalformedJson",
          "Unauthorized", "Forbidden", "IdempotencyKeyInFlight", "ValidationFailedOrKeyReused"}) {
        const rapidjson::Value& response = at({"components", "responses", name});
        EXPECT_TRUE(response["content"]["application/json"].HasMember("examples")) << name;
    }
    // The transport's refusals, each example the very text the transport sends.
    const rapidjson::Value& refused = at(
        {"components", "responses", "TransportRefused", "content", "application/json", "examples"});
    for (const int status : {400, 408, 413, 417, 431, 501, 503}) {
        const std::string key = std::to_string(status);
        ASSERT_TRUE(refused.HasMember(key.c_str())) << key;
        EXPECT_EQ(std::string(refused[key.c_str()]["value"]["detail"].GetString()),
                  refusal_detail(status, 16'384, 4096))
            << key;
    }
    EXPECT_TRUE(at({"components", "responses", "MethodNotAllowed", "headers"}).HasMember("Allow"));
    EXPECT_TRUE(at({"components", "responses", "Unavailable", "headers"}).HasMember("Retry-After"));
    EXPECT_TRUE(
        at({"components", "responses", "Unauthorized", "headers"}).HasMember("WWW-Authenticate"));
    EXPECT_STREQ(at({"components", "securitySchemes", "bearerAuth", "scheme"}).GetString(),
                 "bearer");
    EXPECT_STREQ(at({"components", "responses", "PayloadTooLarge", "content", "application/json",
                     "examples", "body", "value", "detail"})
                     .GetString(),
                 "Request body exceeds 4096 bytes");
}

// The POSTs that write take an Idempotency-Key, mark replayed answers and document the key's
// answers: 409 in flight, 422 reused (each with an example saying so).
TEST_F(ApiContractTest, TheWritingPostsDocumentIdempotencyKeys) {
    const rapidjson::Value& key = at({"components", "parameters", "IdempotencyKey"});
    EXPECT_STREQ(key["name"].GetString(), "Idempotency-Key");
    EXPECT_STREQ(key["in"].GetString(), "header");
    EXPECT_STREQ(key["schema"]["pattern"].GetString(), "^[ -~]{1,255}$");
    for (const auto& [path, success] :
         {std::pair{"/api/v1/trades", "201"}, std::pair{"/api/v1/trades/batch", "200"}}) {
        const rapidjson::Value& op = at({"paths", path, "post"});
        bool has_key = false;
        for (const auto& param : op["parameters"].GetArray()) {
            has_key = has_key || std::string(param["$ref"].GetString()) ==
                                     "#/components/parameters/IdempotencyKey";
        }
        EXPECT_TRUE(has_key) << path;
        EXPECT_TRUE(op["responses"][success]["headers"].HasMember("Idempotent-Replayed")) << path;
        const rapidjson::Value& in_flight = resolve(op["responses"]["409"]);
        EXPECT_TRUE(in_flight["headers"].HasMember("Retry-After")) << path;
        const rapidjson::Value& reused =
            resolve(op["responses"]["422"])["content"]["application/json"]["examples"];
        EXPECT_TRUE(reused.HasMember("key_reused")) << path;
    }
    EXPECT_TRUE(at({"components", "headers"}).HasMember("Idempotent-Replayed"));
}

TEST_F(ApiContractTest, WriteAnswersNameTheirCommitAndTheReadsTakeIt) {
    const rapidjson::Value& param = at({"components", "parameters", "MinLsn"});
    EXPECT_STREQ(param["name"].GetString(), "X-Min-LSN");
    EXPECT_STREQ(param["in"].GetString(), "header");
    EXPECT_FALSE(param["required"].GetBool());
    EXPECT_EQ(param["schema"]["pattern"].GetString(), kMinLsnPattern);
    EXPECT_EQ(at({"components", "headers", "X-Min-LSN", "schema", "pattern"}).GetString(),
              kCommitLsnPattern);
    const rapidjson::Value& malformed =
        at({"components", "responses", "MalformedMinLsn", "content", "application/json", "examples",
            "min_lsn", "value", "detail"});
    EXPECT_EQ(malformed.GetString(), kMalformedMinLsn);

    for (const auto& [method, path, success] :
         {std::tuple{"post", "/api/v1/trades", "201"},
          std::tuple{"post", "/api/v1/trades/batch", "200"},
          std::tuple{"delete", "/api/v1/trades/{trade_id}", "200"}}) {
        EXPECT_TRUE(
            at({"paths", path, method, "responses", success, "headers"}).HasMember("X-Min-LSN"))
            << method << " " << path;
    }
    // The client reads the store serves take the header (and may answer 400 for it); the
    // others do not.
    const std::set<std::string> reads = {"listTrades",      "listTradesByBook", "getTrade",
                                         "getTradeHistory", "getStatistics",    "listAuditLogs"};
    for (const auto& path : document_["paths"].GetObject()) {
        for (const auto& op : path.value.GetObject()) {
            const std::string id = op.value["operationId"].GetString();
            bool takes_it = false;
            for (const auto& p : op.value["parameters"].GetArray()) {
                takes_it = takes_it ||
                           (p.HasMember("$ref") &&
                            std::string(p["$ref"].GetString()) == "#/components/parameters/MinLsn");
            }
            EXPECT_EQ(takes_it, reads.count(id) != 0) << id;
            if (takes_it) {
                EXPECT_STREQ(op.value["responses"]["400"]["$ref"].GetString(),
                             "#/components/responses/MalformedMinLsn")
                    << id;
            }
        }
    }
}

TEST_F(ApiContractTest, EveryOperationStatesItsSecurityAndRole) {
    // The roles of the design, written out here rather than taken from the router.
    const std::map<std::string, std::string> roles = {
        {"createTrade", "writer"},      {"createTradesBatch", "writer"}, {"listTrades", "reader"},
        {"listTradesByBook", "reader"}, {"getTrade", "reader"},          {"deleteTrade", "admin"},
        {"getTradeHistory", "reader"},  {"getHealth", "reader"},         {"getLiveness", ""},
        {"getReadiness", ""},           {"getStatistics", "reader"},     {"expireTrades", "admin"},
        {"listAuditLogs", "admin"},     {"listEvents", "admin"},
    };
    for (const auto& path : document_["paths"].GetObject()) {
        for (const auto& op : path.value.GetObject()) {
            const std::string id = op.value["operationId"].GetString();
            ASSERT_TRUE(roles.count(id)) << id;
            ASSERT_TRUE(op.value.HasMember("security")) << id;
            const auto& security = op.value["security"].GetArray();
            if (roles.at(id).empty()) {
                // A probe: open ({}) unless configured otherwise, so a token is optional.
                ASSERT_EQ(security.Size(), 2u) << id;
                EXPECT_EQ(security[0].MemberCount(), 0u) << id;
                EXPECT_FALSE(op.value.HasMember("x-required-role")) << id;
                continue;
            }
            ASSERT_EQ(security.Size(), 1u) << id;
            EXPECT_TRUE(security[0].HasMember("bearerAuth")) << id;
            EXPECT_EQ(std::string(op.value["x-required-role"].GetString()), roles.at(id)) << id;
        }
    }
}

// GET /trades/{id}/history: its query parameters, and its schema against what the handler's
// writer produces and against the schema's own example.
TEST_F(ApiContractTest, TradeHistoryDocumentsItsParametersAndTheShapeItAnswers) {
    std::map<std::string, std::string> params;  // name -> in
    for (const auto& param :
         at({"paths", "/api/v1/trades/{trade_id}/history", "get", "parameters"}).GetArray()) {
        const rapidjson::Value& resolved = resolve(param);
        params[resolved["name"].GetString()] = resolved["in"].GetString();
        const std::string name = resolved["name"].GetString();
        if (name == "from" || name == "to") {
            EXPECT_STREQ(resolved["schema"]["format"].GetString(), "date-time") << name;
        }
    }
    EXPECT_EQ(params, (std::map<std::string, std::string>{{"trade_id", "path"},
                                                          {"skip", "query"},
                                                          {"limit", "query"},
                                                          {"from", "query"},
                                                          {"to", "query"},
                                                          {"X-Min-LSN", "header"},
                                                          {"X-Request-ID", "header"}}));

    const auto required = [this](const char* schema) {
        std::set<std::string> names;
        for (const auto& name : at({"components", "schemas", schema, "required"}).GetArray())
            names.insert(name.GetString());
        return names;
    };
    HistoryQuery query;
    query.trade_id = "T1";
    HistoryRecord record;
    record.trade.trade_id = "T1";
    record.trade.version = 1;
    std::string written;
    append_history(written, kernel::JsonTradeCodec{}, query, {record});
    rapidjson::Document answer;
    answer.Parse(written.c_str(), written.size());
    ASSERT_FALSE(answer.HasParseError()) << written;
    EXPECT_EQ(keys(answer), required("TradeHistory"));
    EXPECT_EQ(keys(answer), keys(at({"components", "schemas", "TradeHistory", "properties"})));
    EXPECT_EQ(keys(answer["items"][0]), required("HistoryRecord"));
    EXPECT_EQ(keys(answer["items"][0]),
              keys(at({"components", "schemas", "HistoryRecord", "properties"})));
    EXPECT_EQ(keys(answer["items"][0]["trade"]), required("Trade"));

    const rapidjson::Value& example = at({"components", "schemas", "TradeHistory", "example"});
    EXPECT_EQ(keys(example), required("TradeHistory"));
    for (const auto& item : example["items"].GetArray()) {
        EXPECT_EQ(keys(item), required("HistoryRecord"));
        EXPECT_EQ(keys(item["trade"]), required("Trade"));
        EXPECT_EQ(item["version"].GetInt(), item["trade"]["version"].GetInt());
        EXPECT_STREQ(item["recorded_at"].GetString(), item["trade"]["last_updated"].GetString());
    }
}

// POST /trades' 201: its example has what the handler writes (the trade and its outcome), and
// the outcome is one the schema allows; Swagger UI shows this example.
TEST_F(ApiContractTest, TheCreatedExampleHasTheMembersOfTheRealAnswer) {
    const rapidjson::Value& schema = resolve(at({"paths", "/api/v1/trades", "post", "responses",
                                                 "201", "content", "application/json", "schema"}));
    ASSERT_TRUE(schema.HasMember("example")) << "the 201 answer has no example";
    const rapidjson::Value& example = schema["example"];

    Trade trade;
    trade.trade_id = "T1";
    trade.version = 1;
    std::string written;
    append_accepted_trade(written, kernel::JsonTradeCodec{}, trade, Date{}, Outcome::Created);
    rapidjson::Document answer;
    answer.Parse(written.c_str(), written.size());
    ASSERT_FALSE(answer.HasParseError()) << written;
    EXPECT_EQ(keys(example), keys(answer));

    ASSERT_TRUE(example.HasMember("outcome"));
    std::set<std::string> outcomes;
    for (const auto& name : at({"components", "schemas", "Outcome", "enum"}).GetArray())
        outcomes.insert(name.GetString());
    EXPECT_TRUE(outcomes.count(example["outcome"].GetString())) << example["outcome"].GetString();
    // The rest is the Trade schema's example.
    for (const auto& member : at({"components", "schemas", "Trade", "example"}).GetObject())
        EXPECT_TRUE(example.HasMember(member.name) && example[member.name] == member.value)
            << member.name.GetString();
}

// GET /audit-logs answers oldest first (tests/e2e/test_api.py shows it on a running daemon):
// the document must not say otherwise.
TEST_F(ApiContractTest, TheAuditLogOrderIsTheOneTheStoresAnswerIn) {
    const rapidjson::Value& get = at({"paths", "/api/v1/audit-logs", "get"});
    const std::string summary = get["summary"].GetString();
    const std::string answer = get["responses"]["200"]["description"].GetString();
    for (const std::string& text : {summary, answer}) {
        EXPECT_NE(text.find("oldest first"), std::string::npos) << text;
        EXPECT_EQ(text.find("newest"), std::string::npos) << text;
    }
}

// ---------------------------------------------------------------- schema vs codec

class SchemaVsCodecTest : public ApiContractTest {
  protected:
    const rapidjson::Value& input() const { return at({"components", "schemas", "TradeInput"}); }
    const rapidjson::Value& property(const char* name) const { return input()["properties"][name]; }

    std::string body(const std::string& field, const std::string& json_value) const {
        std::map<std::string, std::string> fields = {{"trade_id", "\"T1\""},
                                                     {"version", "1"},
                                                     {"counter_party_id", "\"CP-1\""},
                                                     {"book_id", "\"B1\""},
                                                     {"maturity_date", "\"2030-01-01\""}};
        if (json_value.empty()) {
            fields.erase(field);
        } else {
            fields[field] = json_value;
        }
        std::string out = "{";
        for (const auto& [name, value] : fields) {
            if (out.size() > 1) out += ",";
            out += "\"" + name + "\":" + value;
        }
        return out + "}";
    }
    // The codec's error types for the field (empty: accepted).
    std::vector<std::string> errors(const std::string& field, const std::string& json_value) const {
        const DecodedOne decoded = codec_.decode_trade(body(field, json_value));
        EXPECT_FALSE(decoded.syntax_error);
        std::vector<std::string> types;
        for (const FieldError& error : decoded.item.errors) types.push_back(error.type);
        return types;
    }

    kernel::JsonTradeCodec codec_;
};

TEST_F(SchemaVsCodecTest, RequiredFieldsAreExactlyThoseTheCodecRequires) {
    std::vector<std::string> required;
    for (const auto& name : input()["required"].GetArray()) required.emplace_back(name.GetString());
    for (const auto& member : input()["properties"].GetObject()) {
        const std::string name = member.name.GetString();
        const bool is_required =
            std::find(required.begin(), required.end(), name) != required.end();
        EXPECT_EQ(errors(name, "") == std::vector<std::string>{"missing"}, is_required) << name;
    }
}

TEST_F(SchemaVsCodecTest, IdentifierLengthsMatch) {
    for (const char* field : {"trade_id", "counter_party_id", "book_id"}) {
        const auto min = property(field)["minLength"].GetInt();
        const auto max = property(field)["maxLength"].GetInt();
        EXPECT_EQ(max, 50) << field;
        EXPECT_EQ(min, 1) << field;
        const auto quoted = [](std::size_t n, const std::string& unit) {
            std::string text;
            for (std::size_t i = 0; i < n; ++i) text += unit;
            return "\"" + text + "\"";
        };
        EXPECT_TRUE(errors(field, quoted(static_cast<std::size_t>(max), "a")).empty()) << field;
        EXPECT_TRUE(errors(field, quoted(static_cast<std::size_t>(max), "\xC3\xA9")).empty())
            << field << ": maxLength counts code points, as the codec does";
        EXPECT_EQ(errors(field, quoted(static_cast<std::size_t>(max) + 1, "a")),
                  std::vector<std::string>{"string_too_long"})
            << field;
        EXPECT_EQ(errors(field, quoted(static_cast<std::size_t>(min) - 1, "a")),
                  std::vector<std::string>{"string_too_short"})
            << field;
        EXPECT_STREQ(property(field)["pattern"].GetString(),
                     "^[^\\u0000-\\u001F\\u007F-\\u009F]*$");
        EXPECT_EQ(errors(field, "\"a\\u0001b\""),
                  std::vector<std::string>{"string_pattern_mismatch"});
        EXPECT_EQ(errors(field, "\"a\\u0085b\""),
                  std::vector<std::string>{"string_pattern_mismatch"});
        EXPECT_TRUE(errors(field, "\"a\\u00a0b\"").empty());
    }
}

TEST_F(SchemaVsCodecTest, VersionMinimumMatches) {
    const auto minimum = property("version")["minimum"].GetInt64();
    EXPECT_EQ(minimum, 1);
    EXPECT_STREQ(property("version")["type"].GetString(), "integer");
    EXPECT_TRUE(errors("version", std::to_string(minimum)).empty());
    EXPECT_EQ(errors("version", std::to_string(minimum - 1)),
              std::vector<std::string>{"greater_than_equal"});
    EXPECT_EQ(errors("version", std::to_string(property("version")["maximum"].GetInt64())).size(),
              0u);
    EXPECT_EQ(errors("version", "1.5"), std::vector<std::string>{"int_from_float"});
    EXPECT_EQ(errors("version", "\"1\""), std::vector<std::string>{"int_type"});
}

TEST_F(SchemaVsCodecTest, DatesAreRealIsoDates) {
    for (const char* field : {"maturity_date"}) {
        EXPECT_STREQ(property(field)["format"].GetString(), "date");
        EXPECT_TRUE(errors(field, "\"2028-02-29\"").empty());
        for (const char* bad : {"\"2027-02-29\"", "\"2026-13-01\"", "\"2026-1-01\"",
                                "\"2026-01-01T00:00:00\"", "\"0000-01-01\"", "20260101"}) {
            EXPECT_EQ(errors(field, bad), std::vector<std::string>{"date_from_datetime_parsing"})
                << bad;
        }
    }
    EXPECT_STREQ(property("created_date")["format"].GetString(), "date");
    EXPECT_TRUE(errors("created_date", "null").empty()) << "created_date may be null";
    EXPECT_EQ(errors("created_date", "\"2026-02-30\""),
              std::vector<std::string>{"date_from_datetime_parsing"});
    const rapidjson::Value& trade = at({"components", "schemas", "Trade", "properties"});
    EXPECT_STREQ(trade["maturity_date"]["format"].GetString(), "date");
    EXPECT_STREQ(trade["last_updated"]["format"].GetString(), "date-time");
}

TEST_F(SchemaVsCodecTest, PagingBoundsMatchTheQueryParser) {
    const rapidjson::Value& limit = at({"components", "parameters", "Limit", "schema"});
    EXPECT_EQ(limit["minimum"].GetInt(), 1);
    EXPECT_EQ(limit["maximum"].GetInt(), kMaxLimit);
    EXPECT_EQ(at({"components", "parameters", "Skip", "schema", "minimum"}).GetInt(), 0);
}

}  // namespace
}  // namespace tradestore::rest
