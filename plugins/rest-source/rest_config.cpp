#include "rest_config.h"

#include <stdexcept>

namespace tradestore::rest {

std::vector<SettingSpec> setting_specs() {
    std::vector<SettingSpec> specs = {
        {"host", SettingType::String, "127.0.0.1", false, "Address to listen on"},
        {"port", SettingType::Int, "8080", false, "TCP port to listen on", 1, 65535},
        {"threads", SettingType::Int, "16", false, "Connections served at once (worker threads)", 1,
         4096},
        {"max_queued", SettingType::Int, "256", false,
         "Accepted connections waiting for a worker before new ones are refused", 1, 1'000'000},
        {"max_body_bytes", SettingType::Int, "1048576", false,
         "Largest request body accepted; larger bodies get 413", 1, 1'073'741'824},
        {"max_batch_items", SettingType::Int, "1000", false,
         "Most trades accepted in one POST /trades/batch; more get 413", 1, 1'000'000},
        {"keep_alive", SettingType::Bool, "true", false, "Keep client connections open"},
        {"request_timeout", SettingType::Duration, "30s", false,
         "Socket read/write timeout, and how long stop() waits for requests in flight", 1,
         86'400'000},
        {"access_log", SettingType::Bool, "false", false,
         "Log every request (method, path, status, time, request id) at information level"},
        {"cors_allowed_origins", SettingType::List, "", false,
         "Origins allowed to call the API from a browser, e.g. https://ui.example.com; * for "
         "any; unset turns CORS off"},
        {"cors_allowed_methods", SettingType::List, "GET, POST, DELETE", false,
         "Methods a cross-origin request may use"},
        {"cors_allowed_headers", SettingType::List, "Content-Type, X-Request-ID", false,
         "Request headers a cross-origin request may send"},
        {"cors_max_age", SettingType::Duration, "10m", false,
         "How long a browser may cache a preflight answer", 0, 86'400'000},
        {"docs_dir", SettingType::String, "/usr/share/tradestore/swagger-ui", false,
         "Folder with the swagger-ui-dist files that GET /docs serves"},
        {"metrics_token", SettingType::Secret, "", false,
         "When set, GET /metrics requires Authorization: Bearer <token> (older form of a "
         "metrics-role token; kept for existing configs)"},
    };
    for (SettingSpec& spec : auth_setting_specs()) specs.push_back(std::move(spec));
    return specs;
}

std::vector<SettingProblem> check_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    const AuthConfig auth = auth_config_from_settings(settings, problems);
    const bool metrics_token = settings.has("metrics_token");
    if (metrics_token && auth.open_metrics) {
        problems.push_back({"auth.open_metrics",
                            "contradicts metrics_token, which protects /metrics; drop one"});
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
    if (settings.has("max_queued")) {
        config.max_queued = static_cast<int>(settings.get_int("max_queued"));
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
    std::vector<SettingProblem> problems;
    config.auth = auth_config_from_settings(settings, problems);
    if (!problems.empty()) {
        throw std::invalid_argument(problems.front().key + ": " + problems.front().problem);
    }
    return config;
}

}  // namespace tradestore::rest
