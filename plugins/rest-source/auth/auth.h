// auth/: who may call what. Static bearer tokens (stored as SHA-256 digests), JWTs (HS256 or
// RS256), the roles and the access each route needs, and the guard that turns the decision
// into a 401 or 403.
//
// Its parts:
//   access_policy.h  roles (metrics < reader < writer < admin) and what a route needs
//   auth_config.h    the auth.* settings: schema, typed values, problems by key
//   token_table.h    static tokens, compared by digest in constant time
//   jwt_verifier.h   JWT checks: algorithm allow-list, signature, exp/nbf/iss/aud, role
//   authenticator.h  the decision per request from the three above; immutable, swapped on
//                    reload
//   access_guard.h   the dispatcher's gate: asks the current Authenticator about a matched
//                    route, answers 401/403 in the API's error shape, logs and counts refusals
//
// What the other rooms and the plugin use: Access and Role (the route table in api/ names
// each route's access), AuthConfig and its settings (rest_config.h), Authenticator (built at
// start and on reload), JwtVerifier (the plugin's settings check loads the RS256 key) and
// AccessGuard (api/'s dispatcher). Everything here but access_guard.h is plain C++ on the
// SDK, Poco::JWT and OpenSSL: access_guard.h is where auth meets api/'s request and answer
// types (Exchange, RouteMatch, Reply).
#pragma once

#include "access_guard.h"
#include "access_policy.h"
#include "auth_config.h"
#include "authenticator.h"
#include "jwt_verifier.h"
