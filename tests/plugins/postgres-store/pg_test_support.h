// What the PostgreSQL tests share: the test server's URI, a plain libpq connection to look
// behind the store's back, a fresh schema per test (the StoreEnvironment of the contract
// suite), and a private server that a test may stop and start.
//
// The server comes from TRADESTORE_TEST_PG_URI or from the CTest fixture that started one
// (scripts/pg-test-server.sh). Without either, every test of an executable linking this
// skips, or fails when CI=true.
//
// The read-replica tests use the postgres_replica fixture's primary and streaming replica
// instead (replica_servers(), ReplicaTest): servers of their own, never TRADESTORE_TEST_PG_URI.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "postgres_store.h"
#include "store_contract.h"

namespace tradestore::pgtest {

// True when the environment variable CI is "true": a missing server is then a failure.
bool running_in_ci();
// The test server's URI, if there is one.
std::optional<std::string> server_uri();
// The URI (postgresql://... or key=value) with one more connection parameter.
std::string with_parameter(const std::string& uri, const std::string& key,
                           const std::string& value);
// The URI with its search_path set to `schema` (through the libpq `options` parameter).
std::string with_search_path(const std::string& uri, const std::string& schema);

// A plain, blocking libpq connection. Every failure throws std::runtime_error.
class RawConnection {
  public:
    explicit RawConnection(const std::string& uri);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    void execute(const std::string& sql);
    // Rows of text values (NULL as nullopt); parameters are text.
    std::vector<std::vector<std::optional<std::string>>> query(
        const std::string& sql, const std::vector<std::string>& params = {});
    // The single value of a one-row, one-column query ("" for NULL).
    std::string scalar(const std::string& sql, const std::vector<std::string>& params = {});

    PGconn* handle() const noexcept { return conn_; }

  private:
    PGconn* conn_ = nullptr;
};

// Options for a store on `uri` with the plugin's defaults, shorter timeouts for tests.
plugins::PostgresStoreOptions store_options(const std::string& uri);

// A fresh schema on the test server, dropped with everything in it when the environment goes.
class PostgresEnvironment final : public contract::StoreEnvironment {
  public:
    PostgresEnvironment();
    ~PostgresEnvironment() override;

    std::unique_ptr<Store> create_store() override;
    std::unique_ptr<plugins::PostgresStore> create_postgres_store() const;

    const std::string& schema() const noexcept { return schema_; }
    // The server URI with search_path set to this schema.
    const std::string& uri() const noexcept { return uri_; }
    plugins::PostgresStoreOptions options() const {
        plugins::PostgresStoreOptions options = store_options(uri_);
        options.change_feed = change_feed;
        return options;
    }

  private:
    std::string server_uri_;
    std::string schema_;
    std::string uri_;
};

contract::StoreImplementation postgres_implementation();

// A server of one test's own (scripts/pg-test-server.sh), for tests that stop and start it
// or need one set up differently. Throws std::runtime_error when it cannot be started.
class PrivateServer {
  public:
    enum class Mode {
        Plain,  // `start`: trust authentication, no TLS
        Tls,    // `start-tls`: TLS only (hostssl), the role `tradestore` with a password
    };
    explicit PrivateServer(Mode mode = Mode::Plain);
    ~PrivateServer();
    PrivateServer(const PrivateServer&) = delete;
    PrivateServer& operator=(const PrivateServer&) = delete;

    // The URI of its test database (Mode::Tls: sslmode=verify-full with the test CA, no
    // password).
    const std::string& uri() const noexcept { return uri_; }
    // Mode::Tls: the role's password, and the directory of scripts/test-certs.sh's files.
    const std::string& password() const noexcept { return password_; }
    std::filesystem::path certs() const { return state_ / "certs"; }
    void pause();   // pg_ctl stop -m fast
    void resume();  // start again on the same port

    // False when TRADESTORE_TEST_PG_URI is set: an outside server is not ours to stop.
    static bool possible();

  private:
    void script(const std::string& command);

    std::filesystem::path state_;
    std::string uri_;
    std::string password_;
};

// ---- the postgres_replica fixture --------------------------------------------------------------

// The URIs (database tradestore_test, user postgres, trust) of the fixture's primary and of its
// hot standby, which streams from it.
struct ReplicaServers {
    std::string primary_uri;
    std::string replica_uri;
};

// Read from the fixture's state directories; nullopt when it started no servers (no
// PostgreSQL server binaries, or the test was run without ctest).
std::optional<ReplicaServers> replica_servers();

// Polls until the replica has replayed the primary's WAL up to the primary's current LSN
// (taken now); false when `within` passes first. Throws when a server cannot be reached.
bool wait_for_replay(const ReplicaServers& servers,
                     std::chrono::milliseconds within = std::chrono::seconds{10});

// Pauses the replica's WAL replay (pg_wal_replay_pause()) until it goes
// (pg_wal_replay_resume()): the replica then falls behind the primary as far as a test lets it.
class ReplayPause {
  public:
    explicit ReplayPause(const std::string& replica_uri);
    ~ReplayPause();
    ReplayPause(const ReplayPause&) = delete;
    ReplayPause& operator=(const ReplayPause&) = delete;

  private:
    RawConnection replica_;
};

// Stops the fixture's replica (pg_ctl stop -m fast), or starts it again on the same port, where
// it reconnects to the primary; resume returns once it has caught up. Throws
// std::runtime_error when the script fails.
void pause_replica_server();
void resume_replica_server();

// A test fixture that skips without the replica fixture's servers, or fails when CI=true.
class ReplicaTest : public ::testing::Test {
  protected:
    void SetUp() override;
    const ReplicaServers& servers() const { return *servers_; }

  private:
    std::optional<ReplicaServers> servers_;
};

}  // namespace tradestore::pgtest
