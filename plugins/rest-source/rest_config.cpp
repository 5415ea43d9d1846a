#include "rest_config.h"

namespace tradestore::rest {

std::vector<SettingSpec> setting_specs() {
    return {
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
    };
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
    return config;
}

}  // namespace tradestore::rest
