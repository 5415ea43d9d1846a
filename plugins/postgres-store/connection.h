// One libpq connection: connects with the store's timeouts, runs prepared statements in
// pipelines, and turns every failure, by its SQLSTATE (sqlstate.h), into pg::Unavailable (the
// server is gone, busy or aborted the transaction: retry later), StoreRefused (the data
// itself: classes 22, 23, 54) or std::runtime_error (a bug or a setup problem).
//
// Nothing here waits without a limit: connecting is bounded by connect_timeout, every result
// by statement_timeout (enforced by the server) plus connect_timeout (enforced here, for a
// server that stopped answering); after that the connection is closed and marked broken.
// A connection is used by one thread at a time; the pool hands it out.
#pragma once

#include <tradestore/store.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "queries.h"

struct pg_conn;
struct pg_result;

namespace tradestore::plugins::pg {

using Clock = std::chrono::steady_clock;

struct ConnectionOptions {
    // Passed to libpq as its connection string or URI (sslmode and every other libpq
    // setting pass through). The plugin sets application_name, connect_timeout and TCP
    // keepalives before it, so a value in the URI takes precedence.
    std::string uri;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds statement_timeout{30000};
    std::string application_name = "tradestored";
};

// The backend failed in a way the caller may retry later; nothing of the transaction was
// committed (or, when the connection was lost during COMMIT, whether it was is unknown).
class Unavailable : public StoreUnavailable {
  public:
    Unavailable(const std::string& message, std::string sqlstate, bool connection_lost)
        : StoreUnavailable(message),
          sqlstate_(std::move(sqlstate)),
          connection_lost_(connection_lost) {}

    // "" when the failure was on the client's side (connection lost, timed out).
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    bool connection_lost() const noexcept { return connection_lost_; }
    // The server aborted the transaction because of a conflict (deadlock, serialization
    // failure); running it again is safe and likely to succeed.
    bool conflict() const noexcept { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

    // In a pipeline, the step the server answered with an error (its own or a FATAL as it
    // ended the session), if it did: the steps after it never ran. Otherwise nullopt.
    std::optional<std::size_t> server_failed_step() const noexcept { return server_failed_step_; }
    void server_failed_at(std::size_t step) noexcept { server_failed_step_ = step; }

  private:
    std::string sqlstate_;
    bool connection_lost_;
    std::optional<std::size_t> server_failed_step_;
};

struct ResultDeleter {
    void operator()(pg_result* result) const noexcept;
};

// A successful result (errors are thrown, never returned), with text-format values.
class Result {
  public:
    Result() = default;
    explicit Result(pg_result* result) : result_(result) {}

    int rows() const noexcept;
    bool is_null(int row, int column) const noexcept;
    std::string_view text(int row, int column) const noexcept;
    // Throws std::runtime_error when the value is not an integer.
    std::int64_t integer(int row, int column) const;
    // The row count of INSERT/UPDATE/DELETE (PQcmdTuples), 0 when there is none.
    std::int64_t affected() const;

  private:
    std::unique_ptr<pg_result, ResultDeleter> result_;
};

// Text-format parameters of one statement; a value is NULL or a string without NUL bytes
// (text() throws StoreRefused for one with a NUL byte).
class Params {
  public:
    Params& text(std::string value);
    Params& integer(std::int64_t value);
    Params& null();

    int size() const noexcept { return static_cast<int>(values_.size()); }
    // Valid until the next change to these parameters.
    const char* const* pointers() const;

  private:
    std::vector<std::string> values_;
    std::vector<bool> null_;
    mutable std::vector<const char*> pointers_;
};

// One statement of a pipeline: a prepared query and its parameters (nullptr: none).
struct Step {
    Query query;
    const Params* params = nullptr;
};

class Connection {
  public:
    // Connects and configures the session. Throws Unavailable when the server cannot be
    // reached, refuses the connection or does not answer within connect_timeout.
    explicit Connection(const ConnectionOptions& options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs the statements in one round trip (libpq pipeline mode) and returns one result
    // per statement. Each query is prepared on first use on this connection, inside the
    // same pipeline. If a statement fails, the ones after it do not run and the first error
    // is thrown once the whole pipeline has been read.
    // `give_up_at`, when set, replaces the usual deadline (statement_timeout plus
    // connect_timeout from now) if it is earlier.
    std::vector<Result> pipeline(std::span<const Step> steps,
                                 std::optional<Clock::time_point> give_up_at = std::nullopt);
    // One prepared statement on its own.
    Result run(Query query, const Params& params,
               std::optional<Clock::time_point> give_up_at = std::nullopt);
    // One or more SQL statements without parameters (simple query protocol): schema,
    // session settings, transaction control. Returns the last statement's result.
    Result execute(const char* sql, std::optional<Clock::time_point> give_up_at = std::nullopt);

    // `value` as an SQL string literal, quoted and escaped for this connection.
    std::string literal(std::string_view value);

    // A check without a round trip: the connection is open, outside any transaction and
    // has not been closed by the server (which shows as a readable socket).
    bool usable() noexcept;
    // A round trip ("SELECT 1"); throws Unavailable.
    void ping();
    // Rolls back an open transaction; on failure marks the connection broken. Never throws.
    void rollback_quietly() noexcept;

    // Broken connections are never reused: the pool closes them.
    bool broken() const noexcept { return broken_; }
    // True when no transaction is open (and the connection is not broken).
    bool idle() const noexcept;

    Clock::time_point last_used{};

  private:
    [[noreturn]] void connection_lost(const std::string& context);
    // Throws for a failed result; returns normally for a successful one.
    void check(pg_result* result, std::string_view context);
    pg_result* next_result(Clock::time_point deadline);
    void flush(Clock::time_point deadline);
    // Waits until the socket is ready for `events` (POLLIN/POLLOUT); returns the ready events.
    short wait_socket(short events, Clock::time_point deadline);
    Clock::time_point deadline() const;

    pg_conn* conn_ = nullptr;
    std::chrono::milliseconds result_timeout_;
    std::array<bool, kQueryCount> prepared_{};
    bool broken_ = false;
};

}  // namespace tradestore::plugins::pg
