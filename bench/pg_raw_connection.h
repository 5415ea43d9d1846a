// A bare libpq connection for the PostgreSQL benchmarks: set-up, COPY and the server's own
// figures, outside the store under test.
#pragma once

#include <libpq-fe.h>

#include <stdexcept>
#include <string>

class RawConnection {
  public:
    explicit RawConnection(const std::string& uri) : conn_(PQconnectdb(uri.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) fail("connect");
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr);
    }
    ~RawConnection() { PQfinish(conn_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // The rows' columns joined by '|', rows by '\n' (one value for a one-value query).
    std::string query(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        const ExecStatusType status = PQresultStatus(result);
        std::string text;
        for (int row = 0; status == PGRES_TUPLES_OK && row < PQntuples(result); ++row) {
            if (row) text += '\n';
            for (int column = 0; column < PQnfields(result); ++column) {
                if (column) text += '|';
                text += PQgetvalue(result, row, column);
            }
        }
        PQclear(result);
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) fail(sql);
        return text;
    }
    bool try_query(const std::string& sql) {
        try {
            query(sql);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }
    PGconn* get() const { return conn_; }
    [[noreturn]] void fail(const std::string& what) {
        throw std::runtime_error(what + ": " + PQerrorMessage(conn_));
    }

  private:
    PGconn* conn_;
};
