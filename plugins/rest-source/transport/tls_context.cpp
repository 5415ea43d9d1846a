#include "tls_context.h"

#include <Poco/Exception.h>
#include <Poco/Net/SSLException.h>
#include <openssl/err.h>

#include <stdexcept>

namespace tradestore::rest {
namespace {

Poco::Net::Context::VerificationMode verification(TlsConfig::ClientAuth auth) {
    switch (auth) {
        case TlsConfig::ClientAuth::Optional:
            return Poco::Net::Context::VERIFY_RELAXED;
        case TlsConfig::ClientAuth::Required:
            return Poco::Net::Context::VERIFY_STRICT;
        case TlsConfig::ClientAuth::None:
            break;
    }
    return Poco::Net::Context::VERIFY_NONE;
}

}  // namespace

Poco::Net::Context::Ptr make_tls_context(const TlsConfig& tls) {
    Poco::Net::Context::Params params;
    params.certificateFile = tls.certificate;
    params.privateKeyFile = tls.private_key;
    params.caLocation = tls.ca;
    params.verificationMode = verification(tls.client_auth);
    params.verificationDepth = 9;
    params.loadDefaultCAs = false;  // client certificates come from tls.ca only
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    try {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params);
        context->requireMinimumProtocol(tls.min_version == TlsConfig::Version::Tls13
                                            ? Poco::Net::Context::PROTO_TLSV1_3
                                            : Poco::Net::Context::PROTO_TLSV1_2);
        context->preferServerCiphers();
        // A session id context lets OpenSSL resume sessions when client certificates are
        // checked (without one it fails such resumptions).
        context->enableSessionCache(true, "tradestore-rest");
        return context;
    } catch (const Poco::Exception& e) {
        ERR_clear_error();
        throw std::runtime_error("rest-source: TLS setup failed (tls.certificate '" +
                                 tls.certificate + "', tls.private_key '" + tls.private_key +
                                 (tls.ca.empty() ? "'" : "', tls.ca '" + tls.ca + "'") +
                                 "): " + e.displayText());
    }
}

}  // namespace tradestore::rest
