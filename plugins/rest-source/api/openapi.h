// GET /openapi.json: the OpenAPI 3.1 document of every /api/v1 route, generated from the
// router's own route table (api_routes()), so a route cannot exist in one and not the other;
// each route's parameters, body and answers are data in that table (OperationDoc), naming the
// components this file writes (schemas, shared responses with their examples, parameters).
// The trade schemas state the codec's constraints from the SDK's constants (identifier
// length, minimum version, date format); tests hold the codec's behaviour to them.
#pragma once

#include <cstddef>
#include <string>

#include "json_value.h"

namespace tradestore::rest {

struct OpenApiOptions {
    std::string version = "0.0.0";
    std::size_t max_body_bytes = 1'048'576;
    std::size_t max_batch_items = 1000;
    std::size_t max_header_bytes = 16'384;
};

JsonValue openapi_document(const OpenApiOptions& options);
std::string openapi_json(const OpenApiOptions& options);

}  // namespace tradestore::rest
