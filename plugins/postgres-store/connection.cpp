#include "connection.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <stdexcept>

#include "sqlstate.h"

namespace tradestore::plugins::pg {
namespace {

std::string trimmed(const char* text) {
    std::string result = text != nullptr ? text : "";
    while (!result.empty() && (result.back() == '\n' || result.back() == ' ')) result.pop_back();
    return result;
}

bool succeeded(const pg_result* result) {
    const ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

void ignore_notice(void*, const char*) {}

}  // namespace

// ---- Result, Params -------------------------------------------------------------------------

void ResultDeleter::operator()(pg_result* result) const noexcept {
    PQclear(result);
}

int Result::rows() const noexcept {
    return result_ ? PQntuples(result_.get()) : 0;
}

bool Result::is_null(int row, int column) const noexcept {
    return !result_ || PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::text(int row, int column) const noexcept {
    if (!result_) return {};
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Result::integer(int row, int column) const {
    const std::string_view value = text(row, column);
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (is_null(row, column) || error != std::errc{} || end != value.data() + value.size()) {
        throw std::runtime_error("postgres-store: expected an integer, got '" + std::string(value) +
                                 "'");
    }
    return number;
}

std::int64_t Result::affected() const {
    if (!result_) return 0;
    const std::string_view value = PQcmdTuples(result_.get());
    std::int64_t number = 0;
    std::from_chars(value.data(), value.data() + value.size(), number);
    return number;
}

Params& Params::text(std::string value) {
    if (value.find('\0') != std::string::npos) {
        throw StoreRefused(
            "postgres-store: a text value contains a NUL byte, which "
            "PostgreSQL cannot store");
    }
    values_.push_back(std::move(value));
    null_.push_back(false);
    return *this;
}

Params& Params::integer(std::int64_t value) {
    values_.push_back(std::to_string(value));
    null_.push_back(false);
    return *this;
}

Params& Params::null() {
    values_.emplace_back();
    null_.push_back(true);
    return *this;
}

const char* const* Params::pointers() const {
    pointers_.resize(values_.size());
    for (std::size_t i = 0; i < values_.size(); ++i) {
        pointers_[i] = null_[i] ? nullptr : values_[i].c_str();
    }
    return pointers_.data();
}

// ---- Connection -----------------------------------------------------------------------------

Connection::Connection(const ConnectionOptions& options)
    : result_timeout_(options.statement_timeout + options.connect_timeout) {
    using std::chrono::milliseconds;
    // libpq counts connect_timeout in whole seconds (and treats 1 as 2).
    const auto seconds = (options.connect_timeout + milliseconds{999}) / std::chrono::seconds{1};
    // The session settings below are part of connecting: a link that stalls after the
    // handshake must not hold the caller for a whole statement_timeout (a commit outcome's
    // question did: 12 s instead of its budget).
    const Clock::time_point settled_by =
        Clock::now() + std::chrono::seconds{std::max<std::int64_t>(seconds, 2)};
    const std::string connect_timeout = std::to_string(std::max<std::int64_t>(seconds, 2));
    // Unacknowledged data is given up on as late as a result would be.
    const std::string tcp_user_timeout = std::to_string(result_timeout_.count());
    // Later keywords win: ours first so that the URI can override them, except the
    // encoding, which the store relies on.
    const char* const keywords[] = {"application_name",    "connect_timeout",
                                    "keepalives",          "keepalives_idle",
                                    "keepalives_interval", "keepalives_count",
                                    "tcp_user_timeout",    "dbname",
                                    "client_encoding",     nullptr};
    const char* const values[] = {
        options.application_name.c_str(), connect_timeout.c_str(), "1",    "10",   "5", "3",
        tcp_user_timeout.c_str(),         options.uri.c_str(),     "UTF8", nullptr};
    conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
    if (conn_ == nullptr) throw std::bad_alloc();
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string message = trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw Unavailable("postgres-store: cannot connect to PostgreSQL: " + message, "", true);
    }
    PQsetNoticeProcessor(conn_, &ignore_notice, nullptr);
    try {
        if (PQsetnonblocking(conn_, 1) != 0) connection_lost("set non-blocking mode");
        // A transaction left open by a stuck client must not hold its locks for ever.
        // No JIT: the store's statements are short, and compiling cost more than it saved
        // where the planner chose it (a book snapshot of 100,000 trades: 930 -> 690 ms).
        const std::string settings =
            "SET statement_timeout = " + std::to_string(options.statement_timeout.count()) +
            "; SET idle_in_transaction_session_timeout = " +
            std::to_string(result_timeout_.count()) + "; SET jit = off";
        execute(settings.c_str(), settled_by);
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
    last_used = Clock::now();
}

Connection::~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
}

Clock::time_point Connection::deadline() const {
    return Clock::now() + result_timeout_;
}

void Connection::connection_lost(const std::string& context) {
    broken_ = true;
    throw Unavailable("postgres-store: connection to PostgreSQL lost (" + context +
                          "): " + trimmed(PQerrorMessage(conn_)),
                      "", true);
}

std::string Connection::literal(std::string_view value) {
    char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
    if (quoted == nullptr) {
        throw std::runtime_error("postgres-store: cannot quote a literal: " +
                                 trimmed(PQerrorMessage(conn_)));
    }
    std::string result(quoted);
    PQfreemem(quoted);
    return result;
}

void Connection::check(pg_result* result, std::string_view context) {
    if (result != nullptr && succeeded(result)) return;
    const char* field = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = field != nullptr ? field : "";
    const std::string message =
        trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    const ErrorKind kind =
        PQstatus(conn_) != CONNECTION_OK ? ErrorKind::SessionEnded : classify(sqlstate);
    switch (kind) {
        case ErrorKind::SessionEnded:
            broken_ = true;
            throw Unavailable("postgres-store: connection to PostgreSQL lost (" +
                                  std::string(context) + "): " + message,
                              sqlstate, true);
        case ErrorKind::Transient:
            throw Unavailable("postgres-store: " + std::string(context) + ": " + message, sqlstate,
                              false);
        case ErrorKind::Refused:
            throw StoreRefused("postgres-store: PostgreSQL refused the data (" +
                               std::string(context) + ", SQLSTATE " + sqlstate + "): " + message);
        case ErrorKind::Other:
            break;
    }
    throw std::runtime_error("postgres-store: " + std::string(context) + ": " + message);
}

short Connection::wait_socket(short events, Clock::time_point until) {
    const int fd = PQsocket(conn_);
    if (fd < 0) connection_lost("no socket");
    for (;;) {
        const auto remaining =
            std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
        if (remaining <= 0) {
            broken_ = true;
            throw Unavailable("postgres-store: PostgreSQL did not answer within " +
                                  std::to_string(result_timeout_.count()) + " ms",
                              "", true);
        }
        pollfd descriptor{fd, events, 0};
        const int ready =
            ::poll(&descriptor, 1, static_cast<int>(std::min<std::int64_t>(remaining, INT_MAX)));
        if (ready > 0) return descriptor.revents;
        if (ready < 0 && errno != EINTR) connection_lost("poll");
    }
}

void Connection::flush(Clock::time_point until) {
    for (;;) {
        const int pending = PQflush(conn_);
        if (pending == 0) return;
        if (pending < 0) connection_lost("send");
        const short ready = wait_socket(POLLIN | POLLOUT, until);
        if ((ready & POLLIN) != 0 && PQconsumeInput(conn_) == 0) connection_lost("receive");
    }
}

pg_result* Connection::next_result(Clock::time_point until) {
    while (PQisBusy(conn_) != 0) {
        wait_socket(POLLIN, until);
        if (PQconsumeInput(conn_) == 0) connection_lost("receive");
    }
    pg_result* result = PQgetResult(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::unique_ptr<pg_result, ResultDeleter> owned(result);
        check(result, "receive");  // throws: the connection is gone
    }
    return result;
}

std::vector<Result> Connection::pipeline(std::span<const Step> steps,
                                         std::optional<Clock::time_point> give_up_at) {
    using Owned = std::unique_ptr<pg_result, ResultDeleter>;
    if (broken_) connection_lost("reuse of a broken connection");
    const Clock::time_point until = give_up_at ? std::min(*give_up_at, deadline()) : deadline();
    if (PQenterPipelineMode(conn_) != 1) connection_lost("enter pipeline mode");

    std::vector<bool> prepare_sent(steps.size(), false);
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const Query query = steps[i].query;
        bool& prepared = prepared_[static_cast<std::size_t>(query)];
        if (!prepared) {
            if (PQsendPrepare(conn_, statement_name(query), sql(query), 0, nullptr) == 0) {
                connection_lost("send");
            }
            prepared = true;  // a failure below resets it
            prepare_sent[i] = true;
        }
        const Params* params = steps[i].params;
        if (PQsendQueryPrepared(conn_, statement_name(query), params ? params->size() : 0,
                                params ? params->pointers() : nullptr, nullptr, nullptr, 0) == 0) {
            connection_lost("send");
        }
    }
    if (PQpipelineSync(conn_) == 0) connection_lost("send");
    flush(until);

    // Each prepare and each query yields one result followed by a null; then the sync.
    std::vector<Result> results;
    results.reserve(steps.size());
    Owned first_error;
    Query failed_query = Query::Ping;
    std::size_t failed_step = 0;
    std::size_t reading = 0;  // the step whose results are being read
    const auto expect_end = [&] {
        while (pg_result* extra = next_result(until)) PQclear(extra);
    };
    const auto keep_error = [&](Owned result, Query query) {
        if (!first_error && PQresultStatus(result.get()) != PGRES_PIPELINE_ABORTED) {
            first_error = std::move(result);
            failed_query = query;
            failed_step = reading;
        }
    };
    try {
        for (; reading < steps.size(); ++reading) {
            const Query query = steps[reading].query;
            if (prepare_sent[reading]) {
                Owned prepared(next_result(until));
                if (!prepared) connection_lost("pipeline out of step");
                if (!succeeded(prepared.get())) {
                    prepared_[static_cast<std::size_t>(query)] = false;
                    keep_error(std::move(prepared), query);
                }
                expect_end();
            }
            Owned result(next_result(until));
            if (!result) connection_lost("pipeline out of step");
            if (succeeded(result.get())) {
                results.emplace_back(result.release());
            } else {
                keep_error(std::move(result), query);
                results.emplace_back();
            }
            expect_end();
        }
        Owned sync(next_result(until));
        if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
            connection_lost("pipeline out of step");
        }
        if (PQexitPipelineMode(conn_) != 1) connection_lost("exit pipeline mode");
    } catch (Unavailable& error) {
        // Which step the server itself answered with an error before the connection ended
        // (an error of its own, or the one kept): the steps after it never ran.
        if (first_error) {
            error.server_failed_at(failed_step);
        } else if (!error.sqlstate().empty()) {
            error.server_failed_at(reading);
        }
        throw;
    }
    if (first_error) check(first_error.get(), label(failed_query));
    last_used = Clock::now();
    return results;
}

Result Connection::run(Query query, const Params& params,
                       std::optional<Clock::time_point> give_up_at) {
    const Step step{query, &params};
    return std::move(pipeline(std::span<const Step>(&step, 1), give_up_at).front());
}

Result Connection::execute(const char* sql_text, std::optional<Clock::time_point> give_up_at) {
    using Owned = std::unique_ptr<pg_result, ResultDeleter>;
    if (broken_) connection_lost("reuse of a broken connection");
    const Clock::time_point until = give_up_at ? std::min(*give_up_at, deadline()) : deadline();
    if (PQsendQuery(conn_, sql_text) == 0) connection_lost("send");
    flush(until);
    Result last;
    Owned first_error;
    while (pg_result* raw = next_result(until)) {
        Owned result(raw);
        if (!succeeded(result.get())) {
            if (!first_error) first_error = std::move(result);
        } else if (!first_error) {
            last = Result(result.release());
        }
    }
    if (first_error) check(first_error.get(), "query");
    last_used = Clock::now();
    return last;
}

bool Connection::idle() const noexcept {
    return !broken_ && conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE && PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
}

bool Connection::usable() noexcept {
    if (!idle()) return false;
    // While idle the server sends nothing unprompted except notices and, before it closes
    // the session (shutdown, termination), an error; after that the socket reads as EOF.
    // Peek without blocking: consume what is there until nothing is left (usable) or EOF.
    const int fd = PQsocket(conn_);
    for (int round = 0; round < 16; ++round) {
        char byte = 0;
        const ssize_t peeked = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (peeked == 0) return false;  // closed by the server
        if (peeked < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;  // nothing pending: usable
        }
        if (PQconsumeInput(conn_) == 0) return false;
        while (PGnotify* notification = PQnotifies(conn_)) PQfreemem(notification);
        if (PQstatus(conn_) != CONNECTION_OK) return false;
    }
    return false;  // a stream of unprompted data: not worth keeping
}

void Connection::ping() {
    const Result result = run(Query::Ping, Params{});
    if (result.rows() != 1) connection_lost("ping");
}

void Connection::rollback_quietly() noexcept {
    if (broken_ || conn_ == nullptr) return;
    if (PQstatus(conn_) != CONNECTION_OK || PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
        broken_ = true;
        return;
    }
    switch (PQtransactionStatus(conn_)) {
        case PQTRANS_IDLE:
            return;
        case PQTRANS_INTRANS:
        case PQTRANS_INERROR:
            try {
                execute("ROLLBACK");
            } catch (...) {
                broken_ = true;
            }
            return;
        default:  // a command still in progress, or an unknown state
            broken_ = true;
            return;
    }
}

}  // namespace tradestore::plugins::pg
