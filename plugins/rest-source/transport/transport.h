// transport/: the HTTP/1.1 transport of the rest-source. It takes bytes off sockets and gives
// a complete request to a worker; it knows nothing of routes, tokens or JSON bodies.
//
// Its parts:
//   http_reactor.h       one epoll thread: accepts, reads, frames, hands out, writes; every
//                        limit (header, body, time, connections, in flight) is held here
//   connection.h         one client connection (non-blocking socket, optional TLS)
//   http_framing.h       where a request ends in the bytes received; 400/413/431/... refusals
//   buffered_exchange.h  one framed request served from memory through Poco's request and
//                        response interfaces
//   request_handler.h    what requests are handed to (api/'s RequestDispatcher implements it)
//   worker_pool.h        the threads that run handlers (one pool for reads, one for writes)
//   plain_answers.h      the answers the transport writes itself (refusals, 100 Continue)
//   request_body.h       reading a request body within the limit
//   tls_context.h        the HTTPS context built from the tls.* settings
//
// What the other rooms and the plugin use: HttpReactor and ReactorLimits (the plugin builds
// the server from them), make_tls_context (start and reload), read_body and has_body (the
// handlers in api/), and the refusal texts of plain_answers.h (the OpenAPI document states
// them). The transport includes nothing from api/ or auth/ (tls_context.h reads the plugin's
// rest_config.h): it serves requests through RequestHandler, which api/'s RequestDispatcher
// implements.
#pragma once

#include "http_reactor.h"
#include "plain_answers.h"
#include "request_body.h"
#include "request_handler.h"
#include "tls_context.h"
