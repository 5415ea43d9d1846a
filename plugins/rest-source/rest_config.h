// The rest-source settings: their schema for the plugin descriptor and the typed values.
#pragma once

#include <tradestore/settings.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "auth/auth_config.h"

namespace tradestore::rest {

// The values come from the settings (setting_specs(), whose defaults are the only ones:
// default_config() holds them); fields are value-initialised until then.
struct CorsConfig {
    std::vector<std::string> allowed_origins;  // empty: CORS off; "*" allows any origin
    std::vector<std::string> allowed_methods;
    // Authorization is allowed by default: a browser app sends its bearer token itself (no
    // cookies), so allowing the header grants nothing the app does not already hold.
    std::vector<std::string> allowed_headers;
    std::chrono::seconds max_age{};

    bool enabled() const { return !allowed_origins.empty(); }
};

struct TlsConfig {
    enum class ClientAuth : unsigned char { None, Optional, Required };
    enum class Version : unsigned char { Tls12, Tls13 };

    std::string certificate;  // PEM file; set: the port speaks HTTPS only
    std::string private_key;  // PEM file
    std::string ca;           // PEM file of the CAs client certificates must chain to
    ClientAuth client_auth = ClientAuth::None;
    Version min_version = Version::Tls12;
    std::chrono::milliseconds handshake_timeout{};

    bool enabled() const { return !certificate.empty(); }
};

struct RestConfig {
    std::string host;
    std::uint16_t port = 0;  // 0 picks a free port (tests only; the schema requires 1..)
    int threads = 0;         // workers running handlers that write (they wait on commits)
    int read_threads = 0;    // workers running GET/HEAD/OPTIONS; 0: one per CPU core
    // Requests running or waiting for a worker: 256 unless max_in_flight (or the deprecated
    // max_queued) says otherwise.
    std::size_t max_in_flight = 256;
    std::size_t max_connections = 0;  // open connections, idle ones included
    std::size_t max_header_bytes = 0;
    std::size_t max_body_bytes = 0;
    std::size_t max_batch_items = 0;
    bool keep_alive = false;
    std::chrono::milliseconds keep_alive_timeout{};    // idle connection closes
    std::chrono::milliseconds request_read_timeout{};  // whole request must arrive
    std::chrono::milliseconds request_timeout{};       // answer write deadline; stop() grace
    std::chrono::milliseconds idempotency_ttl{};       // keys and answers kept
    std::chrono::milliseconds idempotency_prune_interval{};
    bool access_log = false;
    CorsConfig cors;
    std::string docs_dir;
    std::string metrics_token;  // empty: GET /metrics is open (unless auth is on)
    TlsConfig tls;
    AuthConfig auth;
    std::vector<std::string> notices;  // deprecated settings read, logged at start
};

std::vector<SettingSpec> setting_specs();
// Every setting at its default: what a deployment that sets nothing gets.
RestConfig default_config();

// Reads validated settings; a key that is not set keeps its default. Throws
// std::invalid_argument with one line ("key: problem") for what the schema cannot check
// (tls.*, and what check_settings() reports).
RestConfig config_from_settings(const Settings& settings);

// The settings as a whole: token syntax, JWT completeness, and the secure default (no
// non-loopback address with authentication off unless allow_anonymous = true).
std::vector<SettingProblem> check_settings(const Settings& settings);

}  // namespace tradestore::rest
