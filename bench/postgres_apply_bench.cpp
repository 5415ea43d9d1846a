// postgres-store against PostgreSQL's own bulk-load ceiling, in one run (issue 4, a-c):
//  (a) COPY of N trade rows into an empty trades table with all its indexes;
//  (b) postgres-store apply of the same N trades in batches of 1000, rules and audit included;
//  (c) the same in batches of 1, one trade per transaction (the first --single of them).
// Each phase runs in a fresh schema created by the store itself, so the tables and indexes
// are exactly the store's, after a CHECKPOINT. (a) and (b) alternate for several rounds and
// the medians are compared (a VM's disk is noisy). Prints trades/s, the ratios b/a and c/a,
// and the WAL each phase writes per trade, which is what its commits must flush.
//
//   postgres_apply_bench [--uri URI] [--trades N] [--single N] [--rounds R] [--keep]
// URI defaults to $TRADESTORE_PG_URI; bench/postgres_bench.sh starts a server and runs this.
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "pg_raw_connection.h"
#include "postgres_store.h"
#include "trade_rules.h"

namespace {

using namespace tradestore;
using Clock = std::chrono::steady_clock;

constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

struct Arguments {
    std::string uri;
    std::size_t trades = 100'000;
    std::size_t single = 5'000;
    int rounds = 3;
    bool keep = false;
};

Arguments parse(int argc, char** argv) {
    Arguments arguments;
    if (const char* uri = std::getenv("TRADESTORE_PG_URI")) arguments.uri = uri;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
            return argv[++i];
        };
        if (arg == "--uri") {
            arguments.uri = value();
        } else if (arg == "--trades") {
            arguments.trades = std::stoul(value());
        } else if (arg == "--single") {
            arguments.single = std::stoul(value());
        } else if (arg == "--rounds") {
            arguments.rounds = std::max(1, std::stoi(value()));
        } else if (arg == "--keep") {
            arguments.keep = true;
        } else {
            throw std::invalid_argument("unknown argument " + arg +
                                        "; usage: postgres_apply_bench [--uri URI] "
                                        "[--trades N] [--single N] [--rounds R] [--keep]");
        }
    }
    if (arguments.uri.empty()) throw std::invalid_argument("no --uri and no TRADESTORE_PG_URI");
    arguments.single = std::min(arguments.single, arguments.trades);
    return arguments;
}

std::string with_search_path(const std::string& uri, const std::string& schema) {
    const bool is_uri = uri.starts_with("postgresql://") || uri.starts_with("postgres://");
    if (!is_uri) return uri + " options='-c search_path=" + schema + "'";
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
           schema;
}

std::vector<Trade> make_trades(std::size_t count) {
    std::vector<Trade> trades(count);
    char id[24];
    for (std::size_t i = 0; i < count; ++i) {
        Trade& trade = trades[i];
        std::snprintf(id, sizeof id, "T%012zu", i);
        trade.trade_id = id;
        trade.version = 1;
        trade.counter_party_id = "CP-" + std::to_string(i % 100);
        trade.book_id = "B" + std::to_string(i % 50);
        trade.maturity_date = kToday + std::chrono::days{365 + static_cast<int>(i % 700)};
        trade.created_date = kToday;
    }
    return trades;
}

plugins::PostgresStoreOptions store_options(const std::string& uri) {
    plugins::PostgresStoreOptions options;
    options.pool.connection.uri = uri;
    return options;
}

struct Measured {
    double rate = 0;           // trades per second
    double wal_per_trade = 0;  // WAL bytes written per trade
};

Measured median(std::vector<Measured> all) {
    std::sort(all.begin(), all.end(),
              [](const Measured& x, const Measured& y) { return x.rate < y.rate; });
    return all[all.size() / 2];
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// (a) COPY into the store's own, empty trades table.
double copy_phase(const std::string& uri, const std::vector<Trade>& trades) {
    plugins::PostgresStore store(store_options(uri));
    store.open();  // creates the schema: tables and indexes
    store.close();
    RawConnection raw(uri);
    const auto start = Clock::now();
    PGresult* begin = PQexec(raw.get(),
                             "COPY trades (trade_id, version, counter_party_id, book_id, "
                             "maturity_date, created_date, expired, last_updated) FROM STDIN");
    if (PQresultStatus(begin) != PGRES_COPY_IN) raw.fail("COPY");
    PQclear(begin);
    std::string chunk;
    chunk.reserve(1 << 20);
    const std::string now = "2026-11-24 12:00:00+00";
    for (const Trade& trade : trades) {
        chunk += trade.trade_id;
        chunk += "\t1\t";
        chunk += trade.counter_party_id;
        chunk += '\t';
        chunk += trade.book_id;
        chunk += '\t';
        chunk += format_date(trade.maturity_date);
        chunk += '\t';
        chunk += format_date(trade.created_date);
        chunk += "\tf\t";
        chunk += now;
        chunk += '\n';
        if (chunk.size() > (1 << 20) - 256) {
            if (PQputCopyData(raw.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) {
                raw.fail("COPY data");
            }
            chunk.clear();
        }
    }
    if (!chunk.empty() &&
        PQputCopyData(raw.get(), chunk.data(), static_cast<int>(chunk.size())) != 1) {
        raw.fail("COPY data");
    }
    if (PQputCopyEnd(raw.get(), nullptr) != 1) raw.fail("COPY end");
    PGresult* done = PQgetResult(raw.get());
    const bool ok = PQresultStatus(done) == PGRES_COMMAND_OK;
    PQclear(done);
    while (PGresult* extra = PQgetResult(raw.get())) PQclear(extra);
    if (!ok) raw.fail("COPY");
    const double elapsed = seconds_since(start);
    if (raw.query("SELECT count(*) FROM trades") != std::to_string(trades.size())) {
        throw std::runtime_error("COPY did not load every row");
    }
    return elapsed;
}

// (b), (c): the store's apply with the default trade rules, one batch at a time.
double apply_phase(const std::string& uri, const std::vector<Trade>& trades, std::size_t count,
                   std::size_t batch_size) {
    plugins::PostgresStore store(store_options(uri));
    store.open();
    plugins::TradeRules trade_rules(true, true);
    const Rule* rules[] = {&trade_rules};
    Batch batch;
    batch.candidates.reserve(batch_size);
    const auto start = Clock::now();
    for (std::size_t first = 0; first < count; first += batch_size) {
        batch.candidates.clear();
        for (std::size_t i = first; i < std::min(count, first + batch_size); ++i) {
            batch.candidates.push_back({trades[i], "bench", "bench", {}});
        }
        const auto results = store.apply(batch, rules, kToday);
        for (const ItemResult& result : results) {
            if (result.outcome != Outcome::Created) throw std::runtime_error("not created");
        }
    }
    const double elapsed = seconds_since(start);
    if (store.statistics(kToday).total_trades != static_cast<std::int64_t>(count) ||
        store.audit_count(std::nullopt) != static_cast<std::int64_t>(count)) {
        throw std::runtime_error("apply did not store every trade and audit entry");
    }
    store.close();
    return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Arguments arguments = parse(argc, argv);
        RawConnection admin(arguments.uri);
        std::printf("server: PostgreSQL %s, fsync=%s, synchronous_commit=%s, shared_buffers=%s\n",
                    admin.query("SHOW server_version").c_str(), admin.query("SHOW fsync").c_str(),
                    admin.query("SHOW synchronous_commit").c_str(),
                    admin.query("SHOW shared_buffers").c_str());
        const std::vector<Trade> trades = make_trades(arguments.trades);
        const std::size_t n = trades.size();

        // One phase in a fresh schema, after a checkpoint so that no phase pays for the
        // dirty pages of the one before. Returns seconds and WAL bytes per trade.
        int next_schema = 0;
        const auto run = [&](auto&& phase, std::size_t count) {
            const std::string schema =
                "bench_" + std::to_string(::getpid()) + "_" + std::to_string(next_schema++);
            admin.query("CREATE SCHEMA " + schema);
            try {
                admin.query("CHECKPOINT");
            } catch (const std::exception&) {  // not allowed for this user: measure anyway
            }
            const std::string wal = admin.query("SELECT pg_current_wal_insert_lsn()");
            const double seconds = phase(with_search_path(arguments.uri, schema));
            const double wal_bytes = std::stod(
                admin.query("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '" + wal + "')"));
            if (!arguments.keep) admin.query("DROP SCHEMA " + schema + " CASCADE");
            return Measured{static_cast<double>(count) / seconds,
                            wal_bytes / static_cast<double>(std::max<std::size_t>(count, 1))};
        };
        // (a) and (b) alternate, several rounds; the median of each is reported.
        std::vector<Measured> a;
        std::vector<Measured> b;
        for (int round = 0; round < arguments.rounds; ++round) {
            a.push_back(run([&](const std::string& uri) { return copy_phase(uri, trades); }, n));
            b.push_back(
                run([&](const std::string& uri) { return apply_phase(uri, trades, n, 1000); }, n));
        }
        const Measured c = run(
            [&](const std::string& uri) { return apply_phase(uri, trades, arguments.single, 1); },
            arguments.single);
        const Measured median_a = median(a);
        const Measured median_b = median(b);

        std::printf("%d rounds of (a) and (b), alternating; median trades/s (min..max)\n",
                    arguments.rounds);
        std::printf("%-42s %8s %10s %17s %7s %6s\n", "phase", "trades", "trades/s", "(min..max)",
                    "ratio", "WAL B/trade");
        const auto line = [&](const char* name, std::size_t count, const Measured& m,
                              const std::vector<Measured>& all, double ratio) {
            double low = m.rate;
            double high = m.rate;
            for (const Measured& x : all) {
                low = std::min(low, x.rate);
                high = std::max(high, x.rate);
            }
            std::printf("%-42s %8zu %10.0f %8.0f..%-8.0f %7.3f %6.0f\n", name, count, m.rate, low,
                        high, ratio, m.wal_per_trade);
        };
        line("(a) COPY into trades (all indexes)", n, median_a, a, 1.0);
        line("(b) postgres-store apply, batches of 1000", n, median_b, b,
             median_b.rate / median_a.rate);
        line("(c) postgres-store apply, batches of 1", arguments.single, c, {c},
             c.rate / median_a.rate);
        std::printf("b/a = %.2f (aim >= 0.33), c/a = %.4f\n", median_b.rate / median_a.rate,
                    c.rate / median_a.rate);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "postgres_apply_bench: %s\n", error.what());
        return 1;
    }
}
