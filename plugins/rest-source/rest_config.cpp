#include "rest_config.h"

#include <tradestore/setting_table.h>

#include <stdexcept>
#include <string>

namespace tradestore::rest {

namespace {

TlsConfig::ClientAuth client_auth_from(const std::string& key, const std::string& value) {
    if (value == "none") return TlsConfig::ClientAuth::None;
    if (value == "optional") return TlsConfig::ClientAuth::Optional;
    if (value == "required") return TlsConfig::ClientAuth::Required;
    throw std::invalid_argument("rest-source: " + key + ": '" + value +
                                "' is not one of none, optional, required");
}

TlsConfig::Version version_from(const std::string& key, const std::string& value) {
    if (value == "TLSv1.2") return TlsConfig::Version::Tls12;
    if (value == "TLSv1.3") return TlsConfig::Version::Tls13;
    if (value == "TLSv1" || value == "TLSv1.0" || value == "TLSv1.1" || value == "SSLv3") {
        throw std::invalid_argument("rest-source: " + key + ": " + value +
                                    " is not allowed; the lowest is TLSv1.2");
    }
    throw std::invalid_argument("rest-source: " + key + ": '" + value +
                                "' is not TLSv1.2 or TLSv1.3");
}

// Every setting but auth.* (auth_config.cpp), each bound to the field it fills.
const SettingTable<RestConfig>& setting_table() {
    static const SettingTable<RestConfig> table =
        SettingTable<RestConfig>{}
            .bind(
                {"host", SettingType::String, "127.0.0.1", false, "Address to listen on"},
                [](RestConfig & c) -> auto& { return c.host; })
            .bind(
                {"port", SettingType::Int, "8080", false, "TCP port to listen on", 1, 65535},
                [](RestConfig & c) -> auto& { return c.port; })
            .bind(
                {"threads", SettingType::Int, "16", false,
                 "Worker threads running POST, PUT and DELETE handlers, which wait for the store's "
                 "commit (connections are not tied to threads)",
                 1, 4096},
                [](RestConfig & c) -> auto& { return c.threads; })
            .bind(
                {"read_threads", SettingType::Int, "0", false,
                 "Worker threads running GET, HEAD and OPTIONS handlers; 0 means one per CPU core",
                 0, 4096},
                [](RestConfig & c) -> auto& { return c.read_threads; })
            .declare({"max_in_flight", SettingType::Int, "", false,
                      "Requests running or waiting for a worker (default 256); beyond it 503 with "
                      "Retry-After",
                      1, 1'000'000})
            .declare({"max_queued", SettingType::Int, "", false,
                      "Deprecated: read as max_in_flight = threads + max_queued when max_in_flight "
                      "is unset",
                      1, 1'000'000})
            .bind(
                {"max_connections", SettingType::Int, "1024", false,
                 "Open connections; beyond it a new connection gets 503 with Retry-After and is "
                 "closed",
                 1, 1'000'000},
                [](RestConfig & c) -> auto& { return c.max_connections; })
            .bind(
                {"max_header_bytes", SettingType::Int, "16384", false,
                 "Largest request line plus header fields; larger gets 431", 1024, 1'048'576},
                [](RestConfig & c) -> auto& { return c.max_header_bytes; })
            .bind(
                {"max_body_bytes", SettingType::Int, "1048576", false,
                 "Largest request body accepted; larger bodies get 413", 1, 1'073'741'824},
                [](RestConfig & c) -> auto& { return c.max_body_bytes; })
            .bind(
                {"max_batch_items", SettingType::Int, "1000", false,
                 "Most trades accepted in one POST /trades/batch; more get 413", 1, 1'000'000},
                [](RestConfig & c) -> auto& { return c.max_batch_items; })
            .bind(
                {"keep_alive", SettingType::Bool, "true", false, "Keep client connections open"},
                [](RestConfig & c) -> auto& { return c.keep_alive; })
            .bind(
                {"request_timeout", SettingType::Duration, "30s", false,
                 "How long a client may take to read an answer, and how long stop() waits for "
                 "requests "
                 "in flight",
                 1, 86'400'000},
                [](RestConfig & c) -> auto& { return c.request_timeout; })
            .bind(
                {"request_read_timeout", SettingType::Duration, "10s", false,
                 "A whole request (header and body) must arrive within this; else 408 and close", 1,
                 86'400'000},
                [](RestConfig & c) -> auto& { return c.request_read_timeout; })
            .bind(
                {"keep_alive_timeout", SettingType::Duration, "10s", false,
                 "An idle keep-alive connection is closed after this", 1, 86'400'000},
                [](RestConfig & c) -> auto& { return c.keep_alive_timeout; })
            .bind(
                {"idempotency_ttl", SettingType::Duration, "24h", false,
                 "How long an Idempotency-Key and its answer are kept: a retry within it gets the "
                 "first "
                 "answer again",
                 1000, 31'622'400'000},
                [](RestConfig & c) -> auto& { return c.idempotency_ttl; })
            .bind(
                {"idempotency_prune_interval", SettingType::Duration, "10m", false,
                 "Time between runs of the job that deletes expired idempotency keys", 1000,
                 86'400'000},
                [](RestConfig & c) -> auto& { return c.idempotency_prune_interval; })
            .bind(
                {"access_log", SettingType::Bool, "false", false,
                 "Log every request (method, path, status, time, request id) at information level"},
                [](RestConfig & c) -> auto& { return c.access_log; })
            .bind(
                {"cors_allowed_origins", SettingType::List, "", false,
                 "Origins allowed to call the API from a browser, e.g. https://ui.example.com; * "
                 "for "
                 "any; unset turns CORS off"},
                [](RestConfig & c) -> auto& { return c.cors.allowed_origins; })
            .bind(
                {"cors_allowed_methods", SettingType::List, "GET, POST, DELETE", false,
                 "Methods a cross-origin request may use"},
                [](RestConfig & c) -> auto& { return c.cors.allowed_methods; })
            .bind(
                {"cors_allowed_headers", SettingType::List,
                 "Content-Type, X-Request-ID, Authorization, Idempotency-Key, X-Min-LSN", false,
                 "Request headers a cross-origin request may send"},
                [](RestConfig & c) -> auto& { return c.cors.allowed_headers; })
            .bind(
                {"cors_max_age", SettingType::Duration, "10m", false,
                 "How long a browser may cache a preflight answer", 0, 86'400'000},
                [](RestConfig & c) -> auto& { return c.cors.max_age; })
            .bind(
                {"docs_dir", SettingType::String, "/usr/share/tradestore/swagger-ui", false,
                 "Folder with the swagger-ui-dist files that GET /docs serves"},
                [](RestConfig & c) -> auto& { return c.docs_dir; })
            .bind(
                {"metrics_token", SettingType::Secret, "", false,
                 "When set, GET /metrics requires Authorization: Bearer <token> (older form of a "
                 "metrics-role token; kept for existing configs)"},
                [](RestConfig & c) -> auto& { return c.metrics_token; })
            .bind(
                {"tls.certificate", SettingType::String, "", false,
                 "PEM certificate (chain) file; when set the port speaks HTTPS only"},
                [](RestConfig & c) -> auto& { return c.tls.certificate; })
            .bind(
                {"tls.private_key", SettingType::String, "", false,
                 "PEM private key file of tls.certificate"},
                [](RestConfig & c) -> auto& { return c.tls.private_key; })
            .bind(
                {"tls.ca", SettingType::String, "", false,
                 "PEM file of the CAs that client certificates must chain to (mTLS)"},
                [](RestConfig & c) -> auto& { return c.tls.ca; })
            .bind_with({"tls.client_auth", SettingType::String, "none", false,
                        "Client certificates: none, optional (checked when sent) or required"},
                       [](RestConfig& c, const std::string& key, const std::string& text) {
                           c.tls.client_auth = client_auth_from(key, text);
                       })
            .bind_with({"tls.min_version", SettingType::String, "TLSv1.2", false,
                        "Lowest TLS version accepted: TLSv1.2 or TLSv1.3"},
                       [](RestConfig& c, const std::string& key, const std::string& text) {
                           c.tls.min_version = version_from(key, text);
                       })
            .bind(
                {"tls.handshake_timeout", SettingType::Duration, "10s", false,
                 "A TLS handshake must finish within this; else the connection is closed", 1,
                 86'400'000},
                [](RestConfig & c) -> auto& { return c.tls.handshake_timeout; });
    return table;
}

// What the tls.* settings need of each other.
void check_tls(const TlsConfig& tls) {
    if (tls.enabled() && tls.private_key.empty()) {
        throw std::invalid_argument("rest-source: tls.private_key: required with tls.certificate");
    }
    if (!tls.enabled() && (!tls.private_key.empty() || !tls.ca.empty() ||
                           tls.client_auth != TlsConfig::ClientAuth::None)) {
        throw std::invalid_argument(
            "rest-source: tls.certificate: required by the other tls.* settings");
    }
    if (tls.client_auth != TlsConfig::ClientAuth::None && tls.ca.empty()) {
        throw std::invalid_argument(
            "rest-source: tls.ca: required when tls.client_auth is not none");
    }
}

}  // namespace

std::vector<SettingSpec> setting_specs() {
    std::vector<SettingSpec> specs = setting_table().specs();
    for (SettingSpec& spec : auth_setting_specs()) specs.push_back(std::move(spec));
    return specs;
}

RestConfig default_config() {
    return setting_table().read(Settings{});
}

std::vector<SettingProblem> check_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    try {
        check_tls(setting_table().read(settings).tls);
    } catch (const std::invalid_argument& e) {
        // "rest-source: tls.x: problem" -> key tls.x, so --check-config names the line.
        std::string text = e.what();
        if (text.starts_with("rest-source: ")) text.erase(0, 13);
        const std::size_t colon = text.find(": ");
        problems.push_back({text.substr(0, colon), text.substr(colon + 2)});
    }
    const AuthConfig auth = auth_config_from_settings(settings, problems);
    const bool metrics_token = settings.has("metrics_token");
    if (metrics_token && auth.open_metrics) {
        problems.push_back(
            {"auth.open_metrics", "contradicts metrics_token, which protects /metrics; drop one"});
    }
    const std::string host = settings.has("host") ? settings.get_string("host") : "127.0.0.1";
    if (!auth.enabled() && !auth.allow_anonymous && !is_loopback_host(host)) {
        problems.push_back(
            {"host", "listening on non-loopback address " + host +
                         " with authentication off; configure auth.tokens.<id> or "
                         "auth.jwt.*, or set allow_anonymous = true to run open knowingly"});
    }
    return problems;
}

RestConfig config_from_settings(const Settings& settings) {
    RestConfig config = setting_table().read(settings);
    if (settings.has("max_in_flight")) {
        config.max_in_flight = static_cast<std::size_t>(settings.get_int("max_in_flight"));
    } else if (settings.has("max_queued")) {
        config.max_in_flight = static_cast<std::size_t>(config.threads) +
                               static_cast<std::size_t>(settings.get_int("max_queued"));
        config.notices.push_back("max_queued is deprecated: read as max_in_flight = " +
                                 std::to_string(config.max_in_flight) +
                                 " (threads + max_queued); set max_in_flight instead");
    }
    check_tls(config.tls);
    std::vector<SettingProblem> problems;
    config.auth = auth_config_from_settings(settings, problems);
    if (!problems.empty()) {
        throw std::invalid_argument(problems.front().key + ": " + problems.front().problem);
    }
    return config;
}

}  // namespace tradestore::rest
