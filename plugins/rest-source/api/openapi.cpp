#include "openapi.h"

#include <tradestore/codec.h>
#include <tradestore/trade.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "event_query.h"
#include "history_query.h"
#include "query_params.h"
#include "read_floor.h"
#include "router.h"

namespace tradestore::rest {
namespace {

using Object = JsonValue::Object;

JsonValue ref(std::string_view kind, std::string_view name) {
    return object({{"$ref", "#/components/" + std::string(kind) + "/" + std::string(name)}});
}
JsonValue schema_ref(std::string_view name) {
    return ref("schemas", name);
}

// Identifiers: 1..50 code points without control characters (C0, DEL, C1).
JsonValue identifier(std::string_view description) {
    return object({{"type", "string"},
                   {"minLength", 1},
                   {"maxLength", static_cast<std::int64_t>(kMaxIdentifierLength)},
                   {"pattern", "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"},
                   {"description", description}});
}
JsonValue date(std::string_view description) {
    return object({{"type", "string"}, {"format", "date"}, {"description", description}});
}
JsonValue version_schema() {
    return object({{"type", "integer"},
                   {"minimum", kMinVersion},
                   {"maximum", std::int64_t{INT64_MAX}},
                   {"description", "Version of the trade; a lower one than stored is rejected"}});
}

// A fresh object each call: copies of a JsonValue share their members.
JsonValue trade_example() {
    return object({{"trade_id", "T1"},
                   {"version", 1},
                   {"counter_party_id", "CP-1"},
                   {"book_id", "B1"},
                   {"maturity_date", "2030-05-20"},
                   {"created_date", "2026-11-24"},
                   {"expired", false},
                   {"last_updated", "2026-11-24T09:30:00.123456Z"}});
}
const JsonValue kTradeExample = trade_example();

JsonValue schemas() {
    JsonValue s = object({});
    s.set(
        "TradeInput",
        object(
            {{"type", "object"},
             {"description",
              "A trade as a client sends it. Unknown fields are ignored; `expired` is "
              "accepted and ignored (the server owns it)."},
             {"required",
              array({"trade_id", "version", "counter_party_id", "book_id", "maturity_date"})},
             {"properties",
              object({{"trade_id", identifier("Trade identifier")},
                      {"version", version_schema()},
                      {"counter_party_id", identifier("Counterparty identifier")},
                      {"book_id", identifier("Book identifier")},
                      {"maturity_date",
                       date("Maturity date; before today's business date is rejected")},
                      {"created_date", object({{"type", array({"string", "null"})},
                                               {"format", "date"},
                                               {"description", "Defaults to the business date"}})},
                      {"expired", object({{"type", "boolean"},
                                          {"description", "Ignored: set by the server"}})}})},
             {"example", object({{"trade_id", "T1"},
                                 {"version", 1},
                                 {"counter_party_id", "CP-1"},
                                 {"book_id", "B1"},
                                 {"maturity_date", "2030-05-20"}})}}));
    s.set("Trade",
          object({{"type", "object"},
                  {"required", array({"trade_id", "version", "counter_party_id", "book_id",
                                      "maturity_date", "created_date", "expired", "last_updated"})},
                  {"properties",
                   object({{"trade_id", identifier("Trade identifier")},
                           {"version", version_schema()},
                           {"counter_party_id", identifier("Counterparty identifier")},
                           {"book_id", identifier("Book identifier")},
                           {"maturity_date", date("Maturity date")},
                           {"created_date", date("Creation date (business date)")},
                           {"expired",
                            object({{"type", "boolean"},
                                    {"description", "True once the maturity date has passed"}})},
                           {"last_updated", object({{"type", "string"},
                                                    {"format", "date-time"},
                                                    {"description", "UTC, microseconds"}})}})},
                  {"example", kTradeExample}}));
    s.set("Outcome",
          object({{"type", "string"},
                  {"enum", array({"created", "updated", "replaced"})},
                  {"description",
                   "created: new id; updated: higher version; replaced: same version"}}));
    JsonValue accepted_example = trade_example();
    accepted_example.set("outcome", "created");
    s.set("AcceptedTrade",
          object({{"allOf",
                   array({schema_ref("Trade"),
                          object({{"type", "object"},
                                  {"required", array({"outcome"})},
                                  {"properties", object({{"outcome", schema_ref("Outcome")}})}})})},
                  {"example", std::move(accepted_example)}}));
    s.set("ReasonCode", object({{"type", "string"},
                                {"pattern", "^[A-Z][A-Z0-9_]*$"},
                                {"description",
                                 "Stable rejection code, e.g. LOWER_VERSION, MATURITY_IN_PAST, "
                                 "DELETED_VERSION, or a custom rule's code"}}));
    s.set("Detail", object({{"type", "object"},
                            {"required", array({"detail"})},
                            {"properties", object({{"detail", object({{"type", "string"}})}})}}));
    s.set("Rejection",
          object({{"type", "object"},
                  {"required", array({"detail", "reasons", "trade_id"})},
                  {"properties", object({{"detail", object({{"type", "string"}})},
                                         {"reasons", object({{"type", "array"},
                                                             {"minItems", 1},
                                                             {"items", schema_ref("ReasonCode")}})},
                                         {"trade_id", object({{"type", "string"}})}})}}));
    s.set("FieldError",
          object({{"type", "object"},
                  {"required", array({"loc", "msg", "type"})},
                  {"properties",
                   object({{"loc",
                            object({{"type", "array"},
                                    {"items", object({{"type", array({"string", "integer"})}})}})},
                           {"msg", object({{"type", "string"}})},
                           {"type", object({{"type", "string"}})}})}}));
    s.set("ValidationError",
          object({{"type", "object"},
                  {"required", array({"detail"})},
                  {"properties",
                   object({{"detail",
                            object({{"type", "array"}, {"items", schema_ref("FieldError")}})}})}}));
    s.set(
        "BatchItemResult",
        object(
            {{"oneOf",
              array(
                  {object({{"type", "object"},
                           {"title", "accepted"},
                           {"required", array({"index", "trade_id", "outcome", "trade"})},
                           {"properties",
                            object({{"index", object({{"type", "integer"}, {"minimum", 0}})},
                                    {"trade_id", object({{"type", "string"}})},
                                    {"outcome", schema_ref("Outcome")},
                                    {"trade", schema_ref("Trade")}})}}),
                   object(
                       {{"type", "object"},
                        {"title", "rejected"},
                        {"required", array({"index", "trade_id", "outcome", "detail", "reasons"})},
                        {"properties",
                         object({{"index", object({{"type", "integer"}, {"minimum", 0}})},
                                 {"trade_id", object({{"type", "string"}})},
                                 {"outcome", object({{"const", "rejected"}})},
                                 {"detail", object({{"type", "string"}})},
                                 {"reasons", object({{"type", "array"},
                                                     {"items", schema_ref("ReasonCode")}})}})}}),
                   object({{"type", "object"},
                           {"title", "invalid"},
                           {"required", array({"index", "outcome", "errors"})},
                           {"properties",
                            object({{"index", object({{"type", "integer"}, {"minimum", 0}})},
                                    {"outcome", object({{"const", "invalid"}})},
                                    {"errors",
                                     object({{"type", "array"},
                                             {"items", schema_ref("FieldError")}})}})}})})}}));
    s.set("Message", object({{"type", "object"},
                             {"required", array({"message"})},
                             {"properties", object({{"message", object({{"type", "string"}})}})}}));
    const JsonValue services = object(
        {{"type", "object"},
         {"additionalProperties", object({{"type", "string"}, {"enum", array({"up", "down"})}})},
         {"description", "The store (e.g. sqlite) and every source (e.g. rest)"}});
    s.set("Health",
          object({{"type", "object"},
                  {"required", array({"status", "timestamp", "version", "services"})},
                  {"properties",
                   object({{"status", object({{"type", "string"},
                                              {"enum", array({"healthy", "unhealthy"})}})},
                           {"timestamp", object({{"type", "string"}, {"format", "date-time"}})},
                           {"version", object({{"type", "string"}})},
                           {"services", services}})}}));
    s.set("Liveness", object({{"type", "object"},
                              {"required", array({"status"})},
                              {"properties", object({{"status", object({{"const", "alive"}})}})}}));
    s.set("Readiness",
          object({{"type", "object"},
                  {"required", array({"status", "services"})},
                  {"properties",
                   object({{"status",
                            object({{"type", "string"}, {"enum", array({"ready", "not ready"})}})},
                           {"detail", object({{"type", "string"},
                                              {"description", "Why the service is not ready"}})},
                           {"services", services}})}}));
    const JsonValue count = object({{"type", "integer"}, {"minimum", 0}});
    s.set("Statistics",
          object({{"type", "object"},
                  {"required", array({"total_trades", "active_trades", "expired_trades"})},
                  {"properties", object({{"total_trades", count},
                                         {"active_trades", count},
                                         {"expired_trades", count}})}}));
    s.set("ExpiryResult", object({{"type", "object"},
                                  {"required", array({"message", "trades_expired"})},
                                  {"properties", object({{"message", object({{"type", "string"}})},
                                                         {"trades_expired", count}})}}));
    const JsonValue nullable_int = object({{"type", array({"integer", "null"})}});
    s.set("AuditEntry",
          object(
              {{"type", "object"},
               {"required", array({"id", "trade_id", "action", "status", "details", "timestamp"})},
               {"properties",
                object({{"id", object({{"type", "integer"}})},
                        {"trade_id", object({{"type", "string"}})},
                        {"action", object({{"type", "string"},
                                           {"description",
                                            "CREATE, UPDATE, REPLACE, DELETE, "
                                            "VALIDATION_FAILED, EXPIRE, ..."}})},
                        {"status",
                         object({{"type", "string"}, {"enum", array({"success", "failed"})}})},
                        {"details",
                         object({{"type", "object"},
                                 {"required", array({"reason_codes", "message", "received_version",
                                                     "stored_version", "source", "reference"})},
                                 {"properties",
                                  object({{"reason_codes",
                                           object({{"type", "array"},
                                                   {"items", object({{"type", "string"}})}})},
                                          {"message", object({{"type", "string"}})},
                                          {"received_version", nullable_int},
                                          {"stored_version", nullable_int},
                                          {"source", object({{"type", "string"}})},
                                          {"reference", object({{"type", "string"},
                                                                {"description",
                                                                 "X-Request-ID of the request, or "
                                                                 "the message's position"}})}})}})},
                        {"timestamp", object({{"type", "string"}, {"format", "date-time"}})}})}}));
    s.set(
        "AuditLogs",
        object({{"type", "object"},
                {"required", array({"logs", "count"})},
                {"properties",
                 object({{"logs", object({{"type", "array"}, {"items", schema_ref("AuditEntry")}})},
                         {"count", count}})}}));
    s.set(
        "Event",
        object({{"type", "object"},
                {"required", array({"id", "event_type", "severity", "data", "timestamp"})},
                {"properties",
                 object({{"id", object({{"type", "string"}})},
                         {"event_type", object({{"type", "string"},
                                                {"description",
                                                 "STARTED, STOPPED, KAFKA_ERROR, "
                                                 "DEAD_LETTERED, STORE_DOWN, STORE_UP, "
                                                 "TRADES_EXPIRED, ..."}})},
                         {"severity", object({{"type", "string"},
                                              {"enum", array({"INFO", "WARNING", "ERROR"})}})},
                         {"data", object({{"type", "object"},
                                          {"description",
                                           "What the event reports, by type "
                                           "(e.g. TRADES_EXPIRED: count)"}})},
                         {"timestamp", object({{"type", "string"}, {"format", "date-time"}})}})}}));
    s.set("Events",
          object({{"type", "object"},
                  {"required", array({"events", "count"})},
                  {"properties",
                   object({{"events", object({{"type", "array"}, {"items", schema_ref("Event")}})},
                           {"count", count}})}}));
    s.set(
        "HistoryRecord",
        object({{"type", "object"},
                {"required", array({"version", "action", "previous_version", "recorded_at",
                                    "business_date", "source", "reference", "trade"})},
                {"properties",
                 object({{"version", version_schema()},
                         {"action", object({{"type", "string"},
                                            {"enum", array({"CREATE", "UPDATE", "REPLACE", "EXPIRE",
                                                            "DELETE"})}})},
                         {"previous_version",
                          object({{"type", array({"integer", "null"})},
                                  {"description", "The version stored before this one, if any"}})},
                         {"recorded_at",
                          object({{"type", "string"},
                                  {"format", "date-time"},
                                  {"description",
                                   "When the version was stored: UTC, microseconds, strictly "
                                   "increasing per trade; equals trade.last_updated"}})},
                         {"business_date", date("The business date the decision was made on")},
                         {"source",
                          object({{"type", "string"}, {"description", "rest, kafka, job, ..."}})},
                         {"reference", object({{"type", "string"},
                                               {"description",
                                                "X-Request-ID of the request, or the message's "
                                                "position"}})},
                         {"trade", schema_ref("Trade")}})}}));
    // A fresh object: copies of a JsonValue share their members.
    const JsonValue second_version = object({{"trade_id", "T1"},
                                             {"version", 2},
                                             {"counter_party_id", "CP-1"},
                                             {"book_id", "B2"},
                                             {"maturity_date", "2030-05-20"},
                                             {"created_date", "2026-11-24"},
                                             {"expired", false},
                                             {"last_updated", "2026-12-07T17:00:00.000001Z"}});
    s.set("TradeHistory",
          object({{"type", "object"},
                  {"required", array({"trade_id", "skip", "limit", "items"})},
                  {"properties",
                   object({{"trade_id", object({{"type", "string"}})},
                           {"skip", count},
                           {"limit", count},
                           {"items",
                            object({{"type", "array"}, {"items", schema_ref("HistoryRecord")}})}})},
                  {"example",
                   object({{"trade_id", "T1"},
                           {"skip", 0},
                           {"limit", 100},
                           {"items", array({object({{"version", 1},
                                                    {"action", "CREATE"},
                                                    {"previous_version", nullptr},
                                                    {"recorded_at", "2026-11-24T09:30:00.123456Z"},
                                                    {"business_date", "2026-11-24"},
                                                    {"source", "rest"},
                                                    {"reference", "5f1c8a0e3d2b"},
                                                    {"trade", kTradeExample}}),
                                            object({{"version", 2},
                                                    {"action", "UPDATE"},
                                                    {"previous_version", 1},
                                                    {"recorded_at", "2026-12-07T17:00:00.000001Z"},
                                                    {"business_date", "2026-12-07"},
                                                    {"source", "kafka"},
                                                    {"reference", "trades/0/42"},
                                                    {"trade", second_version}})})}})}}));
    s.set("ServiceInfo",
          object({{"type", "object"},
                  {"required", array({"name", "version", "docs", "openapi"})},
                  {"properties", object({{"name", object({{"type", "string"}})},
                                         {"version", object({{"type", "string"}})},
                                         {"docs", object({{"type", "string"}})},
                                         {"openapi", object({{"type", "string"}})}})}}));
    return s;
}

JsonValue request_id_header() {
    return ref("headers", "X-Request-ID");
}

JsonValue json_content(JsonValue schema, JsonValue examples = {}) {
    JsonValue media = object({{"schema", std::move(schema)}});
    if (examples.is_object()) media.set("examples", std::move(examples));
    return object({{"application/json", std::move(media)}});
}

JsonValue example(std::string_view summary, JsonValue value) {
    return object({{"summary", summary}, {"value", std::move(value)}});
}

JsonValue error_response(std::string_view description, JsonValue schema, JsonValue examples,
                         JsonValue extra_headers = {}) {
    JsonValue headers = object({{"X-Request-ID", request_id_header()}});
    if (extra_headers.is_object()) {
        if (const JsonValue* allow = extra_headers.find("Allow")) headers.set("Allow", *allow);
        if (const JsonValue* retry = extra_headers.find("Retry-After"))
            headers.set("Retry-After", *retry);
        if (const JsonValue* challenge = extra_headers.find("WWW-Authenticate"))
            headers.set("WWW-Authenticate", *challenge);
    }
    return object({{"description", description},
                   {"headers", std::move(headers)},
                   {"content", json_content(std::move(schema), std::move(examples))}});
}

JsonValue responses(const OpenApiOptions& options) {
    const JsonValue malformed =
        example("Malformed JSON",
                object({{"detail", describe_syntax_error({12,
                                                          "Missing a comma or '}' after an object "
                                                          "member."})}}));
    JsonValue r = object({});
    const JsonValue bad_key = example(
        "Malformed Idempotency-Key",
        object({{"detail", "Idempotency-Key must be 1 to 255 printable ASCII characters"}}));
    r.set("BadRequest",
          error_response(
              "Malformed JSON, a malformed Idempotency-Key, or the trade was rejected by a rule "
              "(every failed rule is reported, in rule order)",
              object({{"anyOf", array({schema_ref("Rejection"), schema_ref("Detail")})}}),
              object({{"rejected", example("Rejected: lower version",
                                           object({{"detail",
                                                    "Trade T2: Received version 1 is lower "
                                                    "than current version 2"},
                                                   {"reasons", array({"LOWER_VERSION"})},
                                                   {"trade_id", "T2"}}))},
                      {"malformed", malformed},
                      {"idempotency_key", bad_key}})));
    r.set("MalformedJson",
          error_response("Malformed JSON, a body that is not UTF-8, or a malformed Idempotency-Key",
                         schema_ref("Detail"),
                         object({{"malformed", malformed}, {"idempotency_key", bad_key}})));
    r.set("IdempotencyKeyInFlight",
          error_response(
              "A request with the same Idempotency-Key is still in flight; retry later (the "
              "retry gets its answer)",
              schema_ref("Detail"),
              object({{"in_flight", example("Key in flight",
                                            object({{"detail",
                                                     "A request with this Idempotency-Key is still "
                                                     "in flight; retry later"}}))}}),
              object({{"Retry-After", object({{"description", "Seconds to wait"},
                                              {"schema", object({{"type", "integer"}})}})}})));
    r.set(
        "NotFound",
        error_response(
            "No such trade (or no such route)", schema_ref("Detail"),
            object({{"trade", example("Unknown trade", object({{"detail", "Trade T9 not found"}}))},
                    {"route", example("Unknown route", object({{"detail", "Not Found"}}))}})));
    r.set(
        "MethodNotAllowed",
        error_response(
            "The path exists but not with this method; Allow lists the methods",
            schema_ref("Detail"),
            object({{"wrong_method", example("PUT on /api/v1/trades",
                                             object({{"detail", "Method Not Allowed"}}))}}),
            object({{"Allow", object({{"description", "Methods of the path, e.g. GET, HEAD, POST"},
                                      {"schema", object({{"type", "string"}})}})}})));
    r.set(
        "PayloadTooLarge",
        error_response(
            "The body exceeds max_body_bytes, or the batch exceeds max_batch_items",
            schema_ref("Detail"),
            object(
                {{"body", example("Body too large",
                                  object({{"detail", "Request body exceeds " +
                                                         std::to_string(options.max_body_bytes) +
                                                         " bytes"}}))},
                 {"batch",
                  example("Batch too large",
                          object({{"detail",
                                   "Batch of " + std::to_string(options.max_batch_items + 1) +
                                       " items exceeds the limit of " +
                                       std::to_string(options.max_batch_items) + " items"}}))}})));
    r.set(
        "UnsupportedMediaType",
        error_response("The body is not application/json", schema_ref("Detail"),
                       object({{"wrong_type", example("text/plain body",
                                                      object({{"detail",
                                                               "Unsupported media type: "
                                                               "expected application/json"}}))}})));
    r.set(
        "ValidationFailed",
        error_response(
            "The body or a query parameter has the wrong shape; every field error is listed",
            schema_ref("ValidationError"),
            object(
                {{"body",
                  example("Fractional version",
                          object({{"detail", array({object({{"loc", array({"body", "version"})},
                                                            {"msg",
                                                             "Input should be a valid integer, got "
                                                             "a number with a fractional part"},
                                                            {"type", "int_from_float"}})})}}))},
                 {"query",
                  example(
                      "limit out of range",
                      object({{"detail",
                               array({object({{"loc", array({"query", "limit"})},
                                              {"msg", "Input should be less than or equal to 1000"},
                                              {"type", "less_than_equal"}})})}}))}})));
    r.set("ValidationFailedOrKeyReused",
          error_response(
              "The body has the wrong shape (every field error is listed), or the "
              "Idempotency-Key was already used for a different request (nothing was stored)",
              object({{"anyOf", array({schema_ref("ValidationError"), schema_ref("Detail")})}}),
              object({{"body",
                       example("Fractional version",
                               object({{"detail",
                                        array({object({{"loc", array({"body", "version"})},
                                                       {"msg",
                                                        "Input should be a valid integer, got a "
                                                        "number with a fractional part"},
                                                       {"type", "int_from_float"}})})}}))},
                      {"key_reused",
                       example("Idempotency-Key reused",
                               object({{"detail",
                                        "Idempotency-Key was already used for a different "
                                        "request; use a new key for a new request"}}))}})));
    r.set("MalformedMinLsn",
          error_response("X-Min-LSN is not a WAL position (nothing was read)", schema_ref("Detail"),
                         object({{"min_lsn", example("Malformed X-Min-LSN",
                                                     object({{"detail", kMalformedMinLsn}}))}})));
    r.set("Unavailable",
          error_response(
              "The store cannot be reached (or, with postgres-store's read_fallback = false, no "
              "read replica can serve the read now); nothing was changed; retry later",
              schema_ref("Detail"),
              object({{"store_down",
                       example("Store unavailable",
                               object({{"detail", "Service unavailable, retry later"}}))}}),
              object({{"Retry-After", object({{"description", "Seconds to wait"},
                                              {"schema", object({{"type", "integer"}})}})}})));
    const JsonValue challenge = object(
        {{"WWW-Authenticate", object({{"description",
                                       "Bearer realm=\"tradestore\"; with error=\"invalid_token\" "
                                       "when a token was presented but not accepted"},
                                      {"schema", object({{"type", "string"}})}})}});
    r.set("Unauthorized",
          error_response(
              "No bearer token, or one that is unknown, expired or wrongly signed (only when "
              "authentication is configured); nothing was changed",
              schema_ref("Detail"),
              object({{"missing", example("No token", object({{"detail", "Not authenticated"}}))},
                      {"invalid",
                       example("Bad token", object({{"detail", "Invalid or expired token"}}))}}),
              challenge));
    r.set(
        "Forbidden",
        error_response("The token is valid but its role does not allow this operation; nothing was "
                       "changed",
                       schema_ref("Detail"),
                       object({{"role", example("Writer deleting",
                                                object({{"detail",
                                                         "Forbidden: this operation needs the "
                                                         "admin role"}}))}})));
    r.set(
        "NoTradeHistory",
        error_response(
            "No version of this trade was ever recorded, or the store of this deployment keeps "
            "no trade history",
            schema_ref("Detail"),
            object({{"trade", example("Unknown trade", object({{"detail", "Trade T9 not found"}}))},
                    {"no_history",
                     example("No trade history", object({{"detail", kNoTradeHistory}}))}})));
    r.set(
        "NoEventStore",
        error_response("No plugin of this deployment keeps events (configure mongo-audit)",
                       schema_ref("Detail"),
                       object({{"no_event_store",
                                example("No event store", object({{"detail", kNoEventStore}}))}})));
    // The transport's own answers, before any route is chosen: no X-Request-ID (no handler
    // ran), the connection closed. The texts are plain_answers' refusal_detail.
    const auto refusal = [](std::string_view summary, std::string detail) {
        return example(summary, object({{"detail", std::move(detail)}}));
    };
    r.set(
        "TransportRefused",
        object(
            {{"description",
              "Refused by the transport before routing, and the connection closed: 400 "
              "malformed framing (or an HTTP/1.1 request without Host), 408 request not complete "
              "within request_read_timeout, 413 "
              "body over max_body_bytes, 417 an Expect other than 100-continue, 431 header "
              "over max_header_bytes, 501 a transfer coding other than chunked, 503 beyond "
              "max_connections or max_in_flight (with Retry-After)"},
             {"headers",
              object({{"Connection", object({{"schema", object({{"const", "close"}})}})},
                      {"Retry-After", object({{"description", "With 503: seconds to wait"},
                                              {"schema", object({{"type", "integer"}})}})}})},
             {"content",
              json_content(
                  schema_ref("Detail"),
                  object({{"400", refusal("Malformed request", "Malformed HTTP request")},
                          {"408", refusal("Too slow", "Request not received in time")},
                          {"413", refusal("Body too large",
                                          "Request body exceeds " +
                                              std::to_string(options.max_body_bytes) + " bytes")},
                          {"417",
                           refusal("Unsupported Expect", "Only Expect: 100-continue is supported")},
                          {"431", refusal("Header too large",
                                          "Request header exceeds " +
                                              std::to_string(options.max_header_bytes) + " bytes")},
                          {"501", refusal("Unsupported transfer coding",
                                          "Only the chunked transfer coding is supported")},
                          {"503", refusal("Overloaded", "Service unavailable, retry later")}}))}}));
    r.set("InternalError",
          error_response(
              "An unexpected failure; it is logged with the request id, never shown",
              schema_ref("Detail"),
              object({{"internal", example("Internal error",
                                           object({{"detail", "Internal server error"}}))}})));
    return r;
}

JsonValue parameters() {
    JsonValue p = object({});
    p.set("TradeIdPath", object({{"name", "trade_id"},
                                 {"in", "path"},
                                 {"required", true},
                                 {"description", "Trade identifier; percent-encode '/' as %2F"},
                                 {"schema", object({{"type", "string"}, {"minLength", 1}})}}));
    p.set("BookIdPath", object({{"name", "book_id"},
                                {"in", "path"},
                                {"required", true},
                                {"description", "Book identifier"},
                                {"schema", object({{"type", "string"}, {"minLength", 1}})}}));
    p.set("Skip",
          object({{"name", "skip"},
                  {"in", "query"},
                  {"required", false},
                  {"description", "Entries to skip"},
                  {"schema", object({{"type", "integer"}, {"minimum", 0}, {"default", 0}})}}));
    p.set("Limit", object({{"name", "limit"},
                           {"in", "query"},
                           {"required", false},
                           {"description", "Most entries to return"},
                           {"schema", object({{"type", "integer"},
                                              {"minimum", 1},
                                              {"maximum", kMaxLimit},
                                              {"default", 100}})}}));
    const auto instant = [](std::string_view name, std::string_view description) {
        return object({{"name", name},
                       {"in", "query"},
                       {"required", false},
                       {"description", description},
                       {"schema", object({{"type", "string"}, {"format", "date-time"}})},
                       {"example", "2026-12-01T17:00:00Z"}});
    };
    const auto as_of = [](std::string what, std::string_view absent) {
        return object(
            {{"name", "as_of"},
             {"in", "query"},
             {"required", false},
             {"description",
              what +
                  " as recorded at this instant (RFC 3339 with an offset; send a '+' as %2B), "
                  "or at the close of this business date (YYYY-MM-DD: the last instant of "
                  "that business day under business_timezone and business_day_rollover); "
                  "expired as of the business date then. " +
                  std::string(absent)},
             {"schema", object({{"type", "string"}})},
             {"examples",
              object({{"instant", example("An instant", "2026-12-01T17:00:00Z")},
                      {"close", example("The close of a business day", "2026-12-01")}})}});
    };
    p.set("AsOf", as_of("The trade",
                        "404 when the trade did not exist then (not yet created, "
                        "or deleted)."));
    p.set("SnapshotAsOf", as_of("The trades",
                                "Trades not yet created then, or deleted, are absent; a trade "
                                "is in the book its version then named."));
    p.set("HistoryFrom",
          instant("from",
                  "Only versions recorded at or after this instant (RFC 3339 with an offset; "
                  "send a '+' as %2B)"));
    p.set("HistoryTo",
          instant("to",
                  "Only versions recorded at or before this instant (RFC 3339 with an offset; "
                  "send a '+' as %2B)"));
    p.set("AuditTradeId", object({{"name", "trade_id"},
                                  {"in", "query"},
                                  {"required", false},
                                  {"description", "Only the entries of this trade"},
                                  {"schema", object({{"type", "string"}})}}));
    p.set("EventType",
          object({{"name", "event_type"},
                  {"in", "query"},
                  {"required", false},
                  {"description", "Only the events of this type"},
                  {"schema", object({{"type", "string"}, {"pattern", kEventTypePattern}})}}));
    p.set("Severity",
          object({{"name", "severity"},
                  {"in", "query"},
                  {"required", false},
                  {"description", "Only the events of this severity"},
                  {"schema",
                   object({{"type", "string"}, {"enum", array({"INFO", "WARNING", "ERROR"})}})}}));
    p.set("IdempotencyKey",
          object({{"name", "Idempotency-Key"},
                  {"in", "header"},
                  {"required", false},
                  {"description",
                   "Makes a retry safe (IETF httpapi Idempotency-Key draft): the key, a hash of "
                   "the request (method, target, body and the caller's token) and the answer "
                   "are stored with the decisions, in one transaction, and kept for "
                   "idempotency_ttl (24 hours unless configured). A retry with the same key and "
                   "body gets the first answer again, with Idempotent-Replayed: true, and "
                   "decides nothing; the same key with another request gets 422; a retry while "
                   "the first request is in flight gets 409. Keys are per caller (token). "
                   "Without the header a request is decided each time it is sent. Use a new "
                   "key per logical request, e.g. a UUID such as "
                   "5f1c8a0e-3d2b-4c8e-9a41-0b7e6f2d9c11 (no example value is given here, so that "
                   "the docs page does not send one key with every request it tries)."},
                  {"schema", object({{"type", "string"}, {"pattern", "^[ -~]{1,255}$"}})}}));
    p.set("MinLsn",
          object({{"name", "X-Min-LSN"},
                  {"in", "header"},
                  {"required", false},
                  {"description",
                   "Read-your-writes with PostgreSQL read replicas: the X-Min-LSN of a write "
                   "answer (a WAL position such as 0/16B3748). The read is served by a replica "
                   "that has replayed it, or by the primary; without it any replica in rotation "
                   "may answer, up to max_replica_lag behind. After several writes send the "
                   "highest. Accepted and without effect when the store has no replicas; a "
                   "malformed value gets 400 (no example value is given here, so that the docs "
                   "page does not send one with every request it tries)."},
                  {"schema", object({{"type", "string"}, {"pattern", kMinLsnPattern}})}}));
    p.set("RequestId",
          object({{"name", "X-Request-ID"},
                  {"in", "header"},
                  {"required", false},
                  {"description",
                   "Echoed in the answer and kept as the audit entry's reference; one is "
                   "generated when absent or not 1..128 visible ASCII characters"},
                  {"schema", object({{"type", "string"}, {"pattern", "^[!-~]{1,128}$"}})}}));
    return p;
}

JsonValue ok(std::string_view description, JsonValue schema) {
    return object({{"description", description},
                   {"headers", object({{"X-Request-ID", request_id_header()}})},
                   {"content", json_content(std::move(schema))}});
}

// A write's success answer: with read replicas it names its commit (X-Min-LSN); the POSTs'
// answers a retry with the same Idempotency-Key gets again, marked replayed.
JsonValue write_answer(JsonValue answer, bool replayable) {
    JsonValue headers = object({{"X-Request-ID", request_id_header()}});
    if (replayable) headers.set("Idempotent-Replayed", ref("headers", "Idempotent-Replayed"));
    headers.set("X-Min-LSN", ref("headers", "X-Min-LSN"));
    answer.set("headers", std::move(headers));
    return answer;
}

// Who may call the operation: the bearer scheme, the least role (x-required-role) and the
// 401/403 answers. Probes are open unless auth.open_probes = false, so a token is optional.
template <typename AddError>
void document_access(Access access, JsonValue& op, const AddError& error) {
    const JsonValue bearer = object({{"bearerAuth", array({})}});
    switch (access) {
        case Access::Open:
        case Access::Metrics:
            return;
        case Access::Probe:
            op.set("security", array({object({}), bearer}));
            error(401, "Unauthorized");
            return;
        case Access::Reader:
        case Access::Writer:
        case Access::Admin:
            op.set("security", array({bearer}));
            op.set("x-required-role", least_role(access));
            error(401, "Unauthorized");
            error(403, "Forbidden");
            return;
    }
}

// The component `name` of `kind` ("schemas", "parameters", "responses"), which the route table
// names: a $ref, after checking that the document has it.
JsonValue component_ref(const JsonValue& components, const ApiRoute& route, std::string_view kind,
                        std::string_view name) {
    const JsonValue* of_kind = components.find(kind);
    if (of_kind == nullptr || of_kind->find(name) == nullptr) {
        throw std::logic_error("openapi: the route table's " + std::string(route.operation_id) +
                               " names " + std::string(kind) + "/" + std::string(name) +
                               ", which the document does not have");
    }
    return ref(kind, name);
}

// A schema as the route table names it: "Name", or "Name[]" for an array of them.
JsonValue named_schema(const JsonValue& components, const ApiRoute& route, std::string_view name) {
    if (name.ends_with("[]")) {
        return object({{"type", "array"},
                       {"items", component_ref(components, route, "schemas",
                                               name.substr(0, name.size() - 2))}});
    }
    return component_ref(components, route, "schemas", name);
}

// The documentation of one route, from its entry in the route table (OperationDoc, router.h):
// parameters, body and answers.
JsonValue operation(const ApiRoute& route, const JsonValue& components) {
    const OperationDoc& doc = route.doc;
    JsonValue op = object({{"operationId", route.operation_id},
                           {"summary", route.summary},
                           {"tags", array({route.tag})}});
    if (!doc.description.empty()) op.set("description", doc.description);
    if (!doc.request_body.empty()) {
        op.set(
            "requestBody",
            object({{"required", true},
                    {"content", json_content(named_schema(components, route, doc.request_body))}}));
    }
    JsonValue params = array({});
    if (route.path.find("{trade_id}") != std::string_view::npos)
        params.push(ref("parameters", "TradeIdPath"));
    if (route.path.find("{book_id}") != std::string_view::npos)
        params.push(ref("parameters", "BookIdPath"));
    for (const std::string_view name : doc.parameters) {
        if (!name.empty()) params.push(component_ref(components, route, "parameters", name));
    }
    JsonValue res = object({});
    for (const ApiAnswer& answer : doc.answers) {
        if (answer.status == 0) continue;
        JsonValue documented =
            ok(answer.description, named_schema(components, route, answer.schema));
        if (answer.headers != ApiAnswer::Headers::Plain) {
            documented = write_answer(std::move(documented),
                                      answer.headers == ApiAnswer::Headers::ReplayableWrite);
        }
        res.set(std::to_string(answer.status), std::move(documented));
    }
    const auto error = [&](int status, std::string_view name) {
        res.set(std::to_string(status), component_ref(components, route, "responses", name));
    };
    for (const ApiError& refusal : doc.errors) {
        if (refusal.status != 0) error(refusal.status, refusal.response);
    }
    document_access(route.access, op, error);
    params.push(ref("parameters", "RequestId"));
    op.set("parameters", std::move(params));
    op.set("responses", std::move(res));
    return op;
}

JsonValue security_schemes() {
    return object(
        {{"bearerAuth",
          object({{"type", "http"},
                  {"scheme", "bearer"},
                  {"description",
                   "A static token (the config holds its SHA-256) or a JWT (HS256/RS256 with "
                   "exp and iss). Roles nest: reader (GET), writer (+ POST trades and batch), "
                   "admin (+ DELETE, expire-trades, audit-logs); x-required-role names the "
                   "least one. Without configured tokens the API is open on loopback only."}})}});
}

std::string lower(std::string_view method) {
    std::string text(method);
    for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return text;
}

}  // namespace

JsonValue openapi_document(const OpenApiOptions& options) {
    JsonValue headers = object({});
    headers.set("X-Request-ID",
                object({{"description", "The request's id: the client's, or a generated one"},
                        {"schema", object({{"type", "string"}})}}));
    headers.set("Idempotent-Replayed",
                object({{"description",
                         "Present (true) when the answer is the stored answer of an earlier "
                         "request with the same Idempotency-Key: nothing was decided again"},
                        {"schema", object({{"type", "string"}, {"enum", array({"true"})}})}}));
    headers.set("X-Min-LSN",
                object({{"description",
                         "With PostgreSQL read replicas (postgres-store read_uri): the primary's "
                         "WAL position right after this write's COMMIT. Send it back on a read "
                         "(X-Min-LSN request header) to see this write. Absent without replicas "
                         "and on a replayed Idempotency-Key answer."},
                        {"schema", object({{"type", "string"}, {"pattern", kCommitLsnPattern}})},
                        {"example", "0/16B3748"}}));
    JsonValue components = object({{"securitySchemes", security_schemes()},
                                   {"schemas", schemas()},
                                   {"responses", responses(options)},
                                   {"parameters", parameters()},
                                   {"headers", std::move(headers)}});
    JsonValue paths = object({});
    for (const ApiRoute& route : api_routes()) {
        const std::string path = std::string(kApiPrefix) + std::string(route.path);
        JsonValue* item = const_cast<JsonValue*>(paths.find(path));
        if (item == nullptr) item = &paths.set(path, object({}));
        item->set(lower(route.method), operation(route, components));
    }
    return object(
        {{"openapi", "3.1.0"},
         {"info",
          object({{"title", "TradeStore API"},
                  {"version", options.version},
                  {"description",
                   "Ingests, validates and stores trades. Every answer is JSON and carries an "
                   "X-Request-ID. A method a path does not list is answered 405 with Allow "
                   "(components/responses/MethodNotAllowed); an unexpected failure 500 without "
                   "internals (components/responses/InternalError). A request the transport "
                   "cannot take (malformed, too slow, too large, overload) is answered before "
                   "routing and the connection closed (components/responses/TransportRefused). "
                   "With authentication "
                   "configured, operations need a bearer token with the role in x-required-role "
                   "(components/securitySchemes/bearerAuth): 401 without a valid one, 403 when "
                   "its role is too low. Prometheus metrics are at /metrics, this document at "
                   "/openapi.json, Swagger UI at /docs."}})},
         {"tags", array({object({{"name", "trades"}, {"description", "Trades"}}),
                         object({{"name", "audit"}, {"description", "The audit trail"}}),
                         object({{"name", "service"},
                                 {"description", "Health, probes, statistics, expiry"}})})},
         {"paths", std::move(paths)},
         {"components", std::move(components)}});
}

std::string openapi_json(const OpenApiOptions& options) {
    return openapi_document(options).dump();
}

}  // namespace tradestore::rest
