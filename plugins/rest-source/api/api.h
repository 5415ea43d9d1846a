// api/: the HTTP/JSON API under /api/v1 and the service routes (/, /openapi.json, /docs,
// /metrics). A request comes in from transport/, is routed, checked by auth/'s guard, handled
// and answered here.
//
// Its parts:
//   router.h              the route table (method, path, handler, access, documentation) and
//                         matching
//   request_dispatcher.h  one request: request id, CORS, routing, access, handler, errors,
//                         metrics, access log
//   handlers.h            the endpoint handlers (trade_, service_, event_handlers.cpp,
//                         idempotent_submit.cpp) and what they see of a request (Exchange)
//   response_writer.h     a handler's answer (Reply) and sending it
//   response_bodies.h     the JSON bodies of answers; json_value.h the JSON value they use
//   openapi.h             GET /openapi.json, generated from the route table
//   query_params.h        query strings; as_of.h, history_query.h, event_query.h and
//                         rfc3339.h read the parameters of particular routes
//   read_floor.h          X-Min-LSN: reads that see a given commit
//   idempotency_key.h     Idempotency-Key; keys_in_flight.h, idempotency_prune_job.h
//   request_id.h, request_metrics.h, cors.h, media_type.h, docs_assets.h
//
// What the other rooms and the plugin use: RequestDispatcher (transport/ hands it each
// request; the plugin builds it), IdempotencyPruneJob (the plugin's job), openapi_json (the
// document) and parse_rfc3339 (tradestorectl reads as_of values the same way).
#pragma once

#include "idempotency_prune_job.h"
#include "openapi.h"
#include "request_dispatcher.h"
#include "rfc3339.h"
