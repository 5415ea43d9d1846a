#include "rest_config.h"

#include <stdexcept>

namespace tradestore::rest {

std::vector<SettingSpec> setting_specs() {
    std::vector<SettingSpec> specs = {
        {"host", SettingType::String, "127.0.0.1", false, "Address to listen on"},
        {"port", SettingType::Int, "8080", false, "TCP port to listen on", 1, 65535},
        {"threads", SettingType::Int, "16", false,
         "Worker threads running POST, PUT and DELETE handlers, which wait for the store's "
         "commit (connections are not tied to threads)",
         1, 4096},
        {"read_threads", SettingType::Int, "0", false,
         "Worker threads running GET, HEAD and OPTIONS handlers; 0 means one per CPU core", 0,
         4096},
        {"max_in_flight", SettingType::Int, "", false,
         "Requests running or waiting for a worker (default 256); beyond it 503 with "
         "Retry-After",
         1, 1'000'000},
        {"max_queued", SettingType::Int, "", false,
         "Deprecated: read as max_in_flight = threads + max_queued when max_in_flight is unset", 1,
         1'000'000},
        {"max_connections", SettingType::Int, "1024", false,
         "Open connections; beyond it a new connection gets 503 with Retry-After and is closed", 1,
         1'000'000},
        {"max_header_bytes", SettingType::Int, "16384", false,
         "Largest request line plus header fields; larger gets 431", 1024, 1'048'576},
        {"max_body_bytes", SettingType::Int, "1048576", false,
         "Largest request body accepted; larger bodies get 413", 1, 1'073'741'824},
        {"max_batch_items", SettingType::Int, "1000", false,
         "Most trades accepted in one POST /trades/batch; more get 413", 1, 1'000'000},
        {"keep_alive", SettingType::Bool, "true", false, "Keep client connections open"},
        {"request_timeout", SettingType::Duration, "30s", false,
         "How long a client may take to read an answer, and how long stop() waits for requests "
         "in flight",
         1, 86'400'000},
        {"request_read_timeout", SettingType::Duration, "10s", false,
         "A whole request (header and body) must arrive within this; else 408 and close", 1,
         86'400'000},
        {"keep_alive_timeout", SettingType::Duration, "10s", false,
         "An idle keep-alive connection is closed after this", 1, 86'400'000},
        {"idempotency_ttl", SettingType::Duration, "24h", false,
         "How long an Idempotency-Key and its answer are kept: a retry within it gets the first "
         "answer again",
         1000, 31'622'400'000},
        {"idempotency_prune_interval", SettingType::Duration, "10m", false,
         "Time between runs of the job that deletes expired idempotency keys", 1000, 86'400'000},
        {"access_log", SettingType::Bool, "false", false,
         "Log every request (method, path, status, time, request id) at information level"},
        {"cors_allowed_origins", SettingType::List, "", false,
         "Origins allowed to call the API from a browser, e.g. https://ui.example.com; * for "
         "any; unset turns CORS off"},
        {"cors_allowed_methods", SettingType::List, "GET, POST, DELETE", false,
         "Methods a cross-origin request may use"},
        {"cors_allowed_headers", SettingType::List,
         "Content-Type, X-Request-ID, Authorization, Idempotency-Key, X-Min-LSN", false,
         "Request headers a cross-origin request may send"},
        {"cors_max_age", SettingType::Duration, "10m", false,
         "How long a browser may cache a preflight answer", 0, 86'400'000},
        {"docs_dir", SettingType::String, "/usr/share/tradestore/swagger-ui", false,
         "Folder with the swagger-ui-dist files that GET /docs serves"},
        {"metrics_token", SettingType::Secret, "", false,
         "When set, GET /metrics requires Authorization: Bearer <token> (older form of a "
         "metrics-role token; kept for existing configs)"},
        {"tls.certificate", SettingType::String, "", false,
         "PEM certificate (chain) file; when set the port speaks HTTPS only"},
        {"tls.private_key", SettingType::String, "", false,
         "PEM private key file of tls.certificate"},
        {"tls.ca", SettingType::String, "", false,
         "PEM file of the CAs that client certificates must chain to (mTLS)"},
        {"tls.client_auth", SettingType::String, "none", false,
         "Client certificates: none, optional (checked when sent) or required"},
        {"tls.min_version", SettingType::String, "TLSv1.2", false,
         "Lowest TLS version accepted: TLSv1.2 or TLSv1.3"},
        {"tls.handshake_timeout", SettingType::Duration, "10s", false,
         "A TLS handshake must finish within this; else the connection is closed", 1, 86'400'000},
    };
    for (SettingSpec& spec : auth_setting_specs()) specs.push_back(std::move(spec));
    return specs;
}

namespace {

std::size_t size_setting(const Settings& settings, std::string_view key) {
    return static_cast<std::size_t>(settings.get_int(key));
}

TlsConfig::ClientAuth client_auth_from(const std::string& value) {
    if (value == "none") return TlsConfig::ClientAuth::None;
    if (value == "optional") return TlsConfig::ClientAuth::Optional;
    if (value == "required") return TlsConfig::ClientAuth::Required;
    throw std::invalid_argument("rest-source: tls.client_auth: '" + value +
                                "' is not one of none, optional, required");
}

TlsConfig::Version version_from(const std::string& value) {
    if (value == "TLSv1.2") return TlsConfig::Version::Tls12;
    if (value == "TLSv1.3") return TlsConfig::Version::Tls13;
    if (value == "TLSv1" || value == "TLSv1.0" || value == "TLSv1.1" || value == "SSLv3") {
        throw std::invalid_argument("rest-source: tls.min_version: " + value +
                                    " is not allowed; the lowest is TLSv1.2");
    }
    throw std::invalid_argument("rest-source: tls.min_version: '" + value +
                                "' is not TLSv1.2 or TLSv1.3");
}

TlsConfig tls_from_settings(const Settings& settings) {
    TlsConfig tls;
    if (settings.has("tls.certificate")) tls.certificate = settings.get_string("tls.certificate");
    if (settings.has("tls.private_key")) tls.private_key = settings.get_string("tls.private_key");
    if (settings.has("tls.ca")) tls.ca = settings.get_string("tls.ca");
    if (settings.has("tls.client_auth")) {
        tls.client_auth = client_auth_from(settings.get_string("tls.client_auth"));
    }
    if (settings.has("tls.min_version")) {
        tls.min_version = version_from(settings.get_string("tls.min_version"));
    }
    if (settings.has("tls.handshake_timeout")) {
        tls.handshake_timeout = settings.get_duration("tls.handshake_timeout");
    }
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
    return tls;
}

}  // namespace

std::vector<SettingProblem> check_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    try {
        tls_from_settings(settings);
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
    RestConfig config;
    if (settings.has("host")) config.host = settings.get_string("host");
    if (settings.has("port")) config.port = static_cast<std::uint16_t>(settings.get_int("port"));
    if (settings.has("threads")) config.threads = static_cast<int>(settings.get_int("threads"));
    if (settings.has("read_threads")) {
        config.read_threads = static_cast<int>(settings.get_int("read_threads"));
    }
    if (settings.has("max_in_flight")) {
        config.max_in_flight = size_setting(settings, "max_in_flight");
    } else if (settings.has("max_queued")) {
        config.max_in_flight =
            static_cast<std::size_t>(config.threads) + size_setting(settings, "max_queued");
        config.notices.push_back("max_queued is deprecated: read as max_in_flight = " +
                                 std::to_string(config.max_in_flight) +
                                 " (threads + max_queued); set max_in_flight instead");
    }
    if (settings.has("max_connections")) {
        config.max_connections = size_setting(settings, "max_connections");
    }
    if (settings.has("max_header_bytes")) {
        config.max_header_bytes = size_setting(settings, "max_header_bytes");
    }
    if (settings.has("max_body_bytes")) {
        config.max_body_bytes = static_cast<std::size_t>(settings.get_int("max_body_bytes"));
    }
    if (settings.has("max_batch_items")) {
        config.max_batch_items = static_cast<std::size_t>(settings.get_int("max_batch_items"));
    }
    if (settings.has("keep_alive")) config.keep_alive = settings.get_bool("keep_alive");
    if (settings.has("request_timeout")) {
        config.request_timeout = settings.get_duration("request_timeout");
    }
    if (settings.has("request_read_timeout")) {
        config.request_read_timeout = settings.get_duration("request_read_timeout");
    }
    if (settings.has("keep_alive_timeout")) {
        config.keep_alive_timeout = settings.get_duration("keep_alive_timeout");
    }
    if (settings.has("idempotency_ttl")) {
        config.idempotency_ttl = settings.get_duration("idempotency_ttl");
    }
    if (settings.has("idempotency_prune_interval")) {
        config.idempotency_prune_interval = settings.get_duration("idempotency_prune_interval");
    }
    if (settings.has("access_log")) config.access_log = settings.get_bool("access_log");
    if (settings.has("cors_allowed_origins")) {
        config.cors.allowed_origins = settings.get_list("cors_allowed_origins");
    }
    if (settings.has("cors_allowed_methods")) {
        config.cors.allowed_methods = settings.get_list("cors_allowed_methods");
    }
    if (settings.has("cors_allowed_headers")) {
        config.cors.allowed_headers = settings.get_list("cors_allowed_headers");
    }
    if (settings.has("cors_max_age")) {
        config.cors.max_age =
            std::chrono::duration_cast<std::chrono::seconds>(settings.get_duration("cors_max_age"));
    }
    if (settings.has("docs_dir")) config.docs_dir = settings.get_string("docs_dir");
    if (settings.has("metrics_token")) config.metrics_token = settings.get_string("metrics_token");
    config.tls = tls_from_settings(settings);
    std::vector<SettingProblem> problems;
    config.auth = auth_config_from_settings(settings, problems);
    if (!problems.empty()) {
        throw std::invalid_argument(problems.front().key + ": " + problems.front().problem);
    }
    return config;
}

}  // namespace tradestore::rest
