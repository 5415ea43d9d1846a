#include "http_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>

#include <iterator>

#include "options.h"

namespace tradestore::ctl {
namespace {

Poco::Net::Context::Ptr client_tls_context(const std::string& cacert) {
    Poco::Net::Context::Params params;
    params.caLocation = cacert;
    // The name in the certificate is checked too (STRICT checks it for loopback names as well).
    params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
    params.verificationDepth = 9;
    params.loadDefaultCAs = cacert.empty();
    params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
    try {
        Poco::Net::Context::Ptr context =
            new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        return context;
    } catch (const Poco::Exception& e) {
        throw UsageError("cannot use --cacert " + cacert + ": " + e.displayText());
    }
}

std::string refusal(const std::string& what, const Answer& answer, bool has_token) {
    std::string text = what + ": HTTP " + std::to_string(answer.status);
    if (answer.status == 401) {
        text += has_token ? " (the server does not accept this token: check that it is current "
                            "and copied whole)"
                          : " (the server needs a token: give --token-file FILE, "
                            "$TRADESTORE_TOKEN or --token)";
    } else {
        text +=
            " (the token's role may not do this: use a token of a role that may, e.g. admin "
            "for expire, writer for import)";
    }
    const std::string detail = detail_of(answer);
    if (!detail.empty()) text += ": " + detail;
    return text;
}

}  // namespace

std::string detail_of(const Answer& answer) {
    rapidjson::Document document;
    document.Parse(answer.body.c_str(), answer.body.size());
    if (!document.HasParseError() && document.IsObject() && document.HasMember("detail") &&
        document["detail"].IsString()) {
        return document["detail"].GetString();
    }
    return answer.body.substr(0, 200);
}

Client::Client(const ClientSettings& settings) : token_(settings.token) {
    Poco::URI uri;
    try {
        uri = Poco::URI(settings.url);
    } catch (const Poco::Exception& e) {
        throw UsageError("--url " + settings.url + ": " + e.displayText());
    }
    if (uri.getHost().empty() || (uri.getScheme() != "http" && uri.getScheme() != "https")) {
        throw UsageError("--url must be http://HOST[:PORT] or https://HOST[:PORT], not '" +
                         settings.url + "'");
    }
    tls_ = uri.getScheme() == "https";
    cacert_given_ = !settings.cacert.empty();
    if (!tls_ && !settings.cacert.empty()) {
        throw UsageError("--cacert is for an https:// URL; " + settings.url + " is plain HTTP");
    }
    authority_ = uri.getHost() + ":" + std::to_string(uri.getPort());
    base_path_ = uri.getPath();
    while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
    if (tls_) {
        session_ = std::make_unique<Poco::Net::HTTPSClientSession>(
            uri.getHost(), uri.getPort(), client_tls_context(settings.cacert));
    } else {
        session_ = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    session_->setTimeout(Poco::Timespan(60, 0));
    session_->setKeepAlive(true);
}

Answer Client::send(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& idempotency_key) {
    const Answer answer = exchange(method, path, body, idempotency_key);
    if (answer.status == 401 || answer.status == 403) {
        throw AccessRefused(refusal(method + " " + path, answer, !token_.empty()));
    }
    return answer;
}

Answer Client::exchange(const std::string& method, const std::string& path, const std::string& body,
                        const std::string& idempotency_key) {
    for (int attempt = 0;; ++attempt) {
        try {
            Poco::Net::HTTPRequest request(method, base_path_ + path,
                                           Poco::Net::HTTPMessage::HTTP_1_1);
            request.setKeepAlive(true);
            if (!token_.empty()) request.set("Authorization", "Bearer " + token_);
            if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
            if (method == "POST") {
                request.setContentType("application/json");
                request.setContentLength(static_cast<std::streamsize>(body.size()));
            }
            session_->sendRequest(request) << body;
            Poco::Net::HTTPResponse response;
            std::istream& in = session_->receiveResponse(response);
            Answer answer;
            answer.body.assign(std::istreambuf_iterator<char>(in), {});
            answer.status = static_cast<int>(response.getStatus());
            answer.retry_after = response.get("Retry-After", "");
            return answer;
        } catch (const Poco::Net::SSLException& e) {
            // A certificate or handshake failure is not retried: it would fail the same way.
            session_->reset();
            throw ConnectionFailed(
                "TLS with " + authority_ + " failed: " + e.displayText() +
                (cacert_given_ ? " (is --cacert the CA that signed the server's "
                                 "certificate, and is the URL's host name in it?)"
                               : " (no CA of this system signed the server's "
                                 "certificate? give --cacert FILE with the one that did)"));
        } catch (const Poco::Exception& e) {
            session_->reset();
            // One reconnect, for a keep-alive connection the server closed.
            if (attempt == 1) {
                throw ConnectionFailed(std::string(tls_ ? "https://" : "http://") + authority_ +
                                       ": " + e.displayText());
            }
        }
    }
}

}  // namespace tradestore::ctl
