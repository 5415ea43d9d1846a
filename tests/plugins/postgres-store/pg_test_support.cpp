#include "pg_test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <system_error>
#include <thread>

// Set by tests/postgres/CMakeLists.txt.
#ifndef TRADESTORE_PG_STATE_DIR
#error "TRADESTORE_PG_STATE_DIR must name the test server's state directory"
#endif
#ifndef TRADESTORE_PG_SCRIPT
#error "TRADESTORE_PG_SCRIPT must name scripts/pg-test-server.sh"
#endif
#if !defined(TRADESTORE_PG_REPLICA_PRIMARY_STATE_DIR) || \
    !defined(TRADESTORE_PG_REPLICA_STANDBY_STATE_DIR)
#error "TRADESTORE_PG_REPLICA_{PRIMARY,STANDBY}_STATE_DIR must name the replica fixture's state"
#endif

namespace tradestore::pgtest {
namespace {

std::optional<std::string> read_uri(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string uri;
    if (!in || !std::getline(in, uri) || uri.empty()) return std::nullopt;
    return uri;
}

std::string percent_encoded(const std::string& value) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += kHex[byte >> 4];
            out += kHex[byte & 15];
        }
    }
    return out;
}

// Runs scripts/pg-test-server.sh <command> <state>.
void run_script(const std::string& command, const std::filesystem::path& state) {
    const std::string line =
        std::string("'") + TRADESTORE_PG_SCRIPT + "' " + command + " '" + state.string() + "'";
    if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

std::string unique_schema_name() {
    static std::atomic<int> counter{0};
    std::random_device random;
    return "ts_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
           std::to_string(random() % 1000000);
}

}  // namespace

bool running_in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string(ci) == "true";
}

std::optional<std::string> server_uri() {
    if (const char* uri = std::getenv("TRADESTORE_TEST_PG_URI"); uri != nullptr && *uri != 0) {
        return std::string(uri);
    }
    return read_uri(std::filesystem::path(TRADESTORE_PG_STATE_DIR) / "uri");
}

std::string with_parameter(const std::string& uri, const std::string& key,
                           const std::string& value) {
    if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
        return uri + (uri.find('?') == std::string::npos ? "?" : "&") + key + "=" +
               percent_encoded(value);
    }
    std::string quoted;
    for (const char c : value) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
    }
    return uri + " " + key + "='" + quoted + "'";
}

std::string with_search_path(const std::string& uri, const std::string& schema) {
    return with_parameter(uri, "options", "-c search_path=" + schema);
}

// ---- RawConnection ---------------------------------------------------------------------------

RawConnection::RawConnection(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = PQerrorMessage(conn_);
        PQfinish(conn_);
        throw std::runtime_error("cannot connect: " + message);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
}

RawConnection::~RawConnection() {
    PQfinish(conn_);
}

void RawConnection::execute(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    const std::string message = PQresultErrorMessage(result);
    PQclear(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw std::runtime_error(sql + ": " + message);
    }
}

std::vector<std::vector<std::optional<std::string>>> RawConnection::query(
    const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const std::string& param : params) values.push_back(param.c_str());
    PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                    values.data(), nullptr, nullptr, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK && PQresultStatus(result) != PGRES_COMMAND_OK) {
        const std::string message = PQresultErrorMessage(result);
        PQclear(result);
        throw std::runtime_error(sql + ": " + message);
    }
    std::vector<std::vector<std::optional<std::string>>> rows;
    for (int row = 0; row < PQntuples(result); ++row) {
        auto& out = rows.emplace_back();
        for (int column = 0; column < PQnfields(result); ++column) {
            if (PQgetisnull(result, row, column) != 0) {
                out.emplace_back();
            } else {
                out.emplace_back(
                    std::string(PQgetvalue(result, row, column),
                                static_cast<std::size_t>(PQgetlength(result, row, column))));
            }
        }
    }
    PQclear(result);
    return rows;
}

std::string RawConnection::scalar(const std::string& sql, const std::vector<std::string>& params) {
    const auto rows = query(sql, params);
    if (rows.size() != 1 || rows[0].size() != 1) {
        throw std::runtime_error(sql + ": expected one value, got " + std::to_string(rows.size()) +
                                 " rows");
    }
    return rows[0][0].value_or("");
}

// ---- environments ----------------------------------------------------------------------------

plugins::PostgresStoreOptions store_options(const std::string& uri) {
    plugins::PostgresStoreOptions options;
    options.pool.connection.uri = uri;
    options.pool.connection.statement_timeout = std::chrono::seconds{10};
    options.pool.connection.connect_timeout = std::chrono::seconds{2};
    options.pool.pool_timeout = std::chrono::seconds{10};
    return options;  // pool_size 10, max_overflow 20, pre_ping on, as the plugin's defaults
}

PostgresEnvironment::PostgresEnvironment()
    : server_uri_(server_uri().value_or("")), schema_(unique_schema_name()) {
    if (server_uri_.empty()) throw std::runtime_error("no PostgreSQL test server");
    RawConnection(server_uri_).execute("CREATE SCHEMA " + schema_);
    uri_ = with_search_path(server_uri_, schema_);
}

PostgresEnvironment::~PostgresEnvironment() {
    try {
        RawConnection(server_uri_).execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    } catch (const std::exception& error) {
        ADD_FAILURE() << "cannot drop schema " << schema_ << ": " << error.what();
    }
}

std::unique_ptr<Store> PostgresEnvironment::create_store() {
    return create_postgres_store();
}

std::unique_ptr<plugins::PostgresStore> PostgresEnvironment::create_postgres_store() const {
    return std::make_unique<plugins::PostgresStore>(options());
}

contract::StoreImplementation postgres_implementation() {
    return {"postgres", [] { return std::make_unique<PostgresEnvironment>(); }};
}

// ---- PrivateServer ---------------------------------------------------------------------------

bool PrivateServer::possible() {
    const char* uri = std::getenv("TRADESTORE_TEST_PG_URI");
    return uri == nullptr || *uri == 0;
}

PrivateServer::PrivateServer(Mode mode) {
    std::string pattern = std::filesystem::temp_directory_path() / "tradestore-pgstate-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    state_ = pattern;
    try {
        script(mode == Mode::Tls ? "start-tls" : "start");
        const auto uri = read_uri(state_ / "uri");
        if (!uri) throw std::runtime_error("the private PostgreSQL server did not start");
        uri_ = *uri;
        if (mode == Mode::Tls) password_ = read_uri(state_ / "password").value_or("");
    } catch (...) {
        try {
            script("stop");
        } catch (const std::exception&) {  // reported by the exception below
        }
        std::error_code ignored;
        std::filesystem::remove_all(state_, ignored);
        throw;
    }
}

PrivateServer::~PrivateServer() {
    try {
        script("stop");
    } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
    }
    std::error_code ignored;
    std::filesystem::remove_all(state_, ignored);
}

void PrivateServer::script(const std::string& command) {
    run_script(command, state_);
}

void PrivateServer::pause() {
    script("pause");
}

void PrivateServer::resume() {
    script("resume");
}

// ---- the postgres_replica fixture --------------------------------------------------------------

std::optional<ReplicaServers> replica_servers() {
    auto primary = read_uri(std::filesystem::path(TRADESTORE_PG_REPLICA_PRIMARY_STATE_DIR) / "uri");
    auto replica = read_uri(std::filesystem::path(TRADESTORE_PG_REPLICA_STANDBY_STATE_DIR) / "uri");
    if (!primary || !replica) return std::nullopt;
    return ReplicaServers{std::move(*primary), std::move(*replica)};
}

bool wait_for_replay(const ReplicaServers& servers, std::chrono::milliseconds within) {
    const std::string target =
        RawConnection(servers.primary_uri).scalar("SELECT pg_current_wal_lsn()");
    RawConnection replica(servers.replica_uri);
    const auto until = std::chrono::steady_clock::now() + within;
    while (true) {
        if (replica.scalar("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
                           {target}) == "t") {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
}

ReplayPause::ReplayPause(const std::string& replica_uri) : replica_(replica_uri) {
    replica_.execute("SELECT pg_wal_replay_pause()");
}

ReplayPause::~ReplayPause() {
    try {
        replica_.execute("SELECT pg_wal_replay_resume()");
    } catch (const std::exception& error) {
        ADD_FAILURE() << "cannot resume the replica's replay: " << error.what();
    }
}

void pause_replica_server() {
    run_script("pause", TRADESTORE_PG_REPLICA_STANDBY_STATE_DIR);
}

void resume_replica_server() {
    run_script("resume", TRADESTORE_PG_REPLICA_STANDBY_STATE_DIR);
}

void ReplicaTest::SetUp() {
    servers_ = replica_servers();
    if (servers_) return;
    if (running_in_ci()) {
        FAIL() << "no primary and replica from the postgres_replica fixture (in "
               << TRADESTORE_PG_REPLICA_PRIMARY_STATE_DIR << " and "
               << TRADESTORE_PG_REPLICA_STANDBY_STATE_DIR << "): run the tests through ctest";
    }
    GTEST_SKIP() << "no primary and replica from the postgres_replica fixture (no PostgreSQL "
                    "server binaries, or not run through ctest)";
}

}  // namespace tradestore::pgtest
