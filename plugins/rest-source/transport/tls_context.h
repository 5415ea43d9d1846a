// The HTTPS server context, built with Poco NetSSL from the tls.* settings. Only the
// SSL_CTX is used: the reactor drives OpenSSL on its non-blocking sockets itself.
#pragma once

#include <Poco/Net/Context.h>

#include "rest_config.h"

namespace tradestore::rest {

// Loads the certificate, key and client CA; throws std::runtime_error with one line naming
// the setting or file at fault.
Poco::Net::Context::Ptr make_tls_context(const TlsConfig& tls);

}  // namespace tradestore::rest
