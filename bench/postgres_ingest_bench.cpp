// The PostgreSQL side of bench/kafka_bench.sh without Kafka: the same messages (N trades over
// 50,000 ids, every message a new version, 3 partitions) handed to postgres-store's apply in
// batches as the kafka-source builds them (candidates with their origins, one position per
// partition), rules and audit included. Prints messages/s and what PostgreSQL spent per
// message: CPU (utime + stime of the postmaster and all its children, from /proc, so the
// server must run on this machine) and WAL. With --statements and pg_stat_statements loaded
// (shared_preload_libraries), also each statement's calls, time, rows and buffers.
//
//   postgres_ingest_bench [--uri URI] [--messages N] [--ids N] [--batch N] [--statements]
//                         [--stable] [--parallel]
// --parallel: one thread per partition, each applying its partition's batches on the one store
// (as the kafka-source's lanes do), instead of one thread applying batches of all three.
// URI defaults to $TRADESTORE_PG_URI. Each run uses a fresh schema, dropped afterwards.
#include <libpq-fe.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pg_raw_connection.h"
#include "postgres_store.h"
#include "trade_rules.h"

namespace {

using namespace tradestore;
using Clock = std::chrono::steady_clock;

constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};
constexpr int kPartitions = 3;

struct Arguments {
    std::string uri;
    std::size_t messages = 300'000;
    std::size_t ids = 50'000;
    std::size_t batch = 2'000;
    bool statements = false;
    bool stable = false;    // each id keeps its counterparty and book across versions
    bool parallel = false;  // a thread per partition
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
        } else if (arg == "--messages") {
            arguments.messages = std::stoul(value());
        } else if (arg == "--ids") {
            arguments.ids = std::stoul(value());
        } else if (arg == "--batch") {
            arguments.batch = std::stoul(value());
        } else if (arg == "--statements") {
            arguments.statements = true;
        } else if (arg == "--stable") {
            arguments.stable = true;
        } else if (arg == "--parallel") {
            arguments.parallel = true;
        } else {
            throw std::invalid_argument("unknown argument " + arg +
                                        "; usage: postgres_ingest_bench [--uri URI] "
                                        "[--messages N] [--ids N] [--batch N] [--statements] "
                                        "[--stable] [--parallel]");
        }
    }
    if (arguments.uri.empty()) throw std::invalid_argument("no --uri and no TRADESTORE_PG_URI");
    if (arguments.ids == 0 || arguments.batch == 0) throw std::invalid_argument("zero ids/batch");
    return arguments;
}

std::vector<std::string> stat_fields(int pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(file, line);
    // The command name (2nd field) is in parentheses and may hold spaces.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream rest(line.substr(close + 2));
    std::vector<std::string> fields{"pid", "comm"};
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}

// CPU seconds (user + system) of the postmaster and every process whose parent it is.
double server_cpu_seconds(int postmaster) {
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    double total = 0;
    std::ifstream list("/proc/" + std::to_string(postmaster) + "/task/" +
                       std::to_string(postmaster) + "/children");
    std::vector<int> pids{postmaster};
    for (int child; list >> child;) pids.push_back(child);
    for (const int pid : pids) {
        const std::vector<std::string> fields = stat_fields(pid);
        if (fields.size() < 15) continue;
        total += (std::stod(fields[13]) + std::stod(fields[14])) / tick;  // utime, stime
    }
    return total;
}

// The kafka_bench.sh messages, in production order: message n is version n / ids + 1 of id
// n % ids, on partition (n % ids) % 3 at the next offset of that partition. --stable: its
// counterparty and book follow the id instead of n (no indexed column changes).
std::vector<Candidate> make_messages(const Arguments& arguments) {
    std::vector<Candidate> messages(arguments.messages);
    std::int64_t next_offset[kPartitions] = {};
    char id[24];
    for (std::size_t n = 0; n < arguments.messages; ++n) {
        Candidate& message = messages[n];
        const std::size_t key = n % arguments.ids;
        std::snprintf(id, sizeof id, "B%06zu", key);
        Trade& trade = message.trade;
        trade.trade_id = id;
        trade.version = static_cast<std::int64_t>(n / arguments.ids) + 1;
        const std::size_t varies = arguments.stable ? key : n;
        trade.counter_party_id = "CP-" + std::to_string(varies % 97);
        trade.book_id = "BOOK-" + std::to_string(varies % 13);
        trade.maturity_date = std::chrono::sys_days{std::chrono::year{2030} / 6 / 30};
        trade.created_date = kToday;
        const int partition = static_cast<int>(key % kPartitions);
        const std::int64_t offset = next_offset[partition]++;
        message.source = "kafka";
        message.reference = "bench/" + std::to_string(partition) + "/" + std::to_string(offset);
        message.origin = Origin{"bench", partition, offset};
    }
    return messages;
}

std::string with_search_path(const std::string& uri, const std::string& schema) {
    const bool is_uri = uri.starts_with("postgresql://") || uri.starts_with("postgres://");
    if (!is_uri) return uri + " options='-c search_path=" + schema + "'";
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" +
           schema;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Arguments arguments = parse(argc, argv);
        RawConnection admin(arguments.uri);
        const int postmaster =
            std::stoi(stat_fields(std::stoi(admin.query("SELECT pg_backend_pid()"))).at(3));
        const std::vector<Candidate> messages = make_messages(arguments);
        const std::string schema = "ingest_" + std::to_string(::getpid());
        admin.query("CREATE SCHEMA " + schema);
        const bool statements =
            arguments.statements &&
            admin.try_query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");

        plugins::PostgresStoreOptions options;
        options.pool.connection.uri = with_search_path(arguments.uri, schema);
        plugins::PostgresStore store(options);
        store.open();
        plugins::TradeRules trade_rules(true, true);
        const Rule* rules[] = {&trade_rules};
        admin.try_query("CHECKPOINT");
        if (statements) admin.query("SELECT pg_stat_statements_reset()");
        const std::string wal = admin.query("SELECT pg_current_wal_insert_lsn()");
        const double cpu_before = server_cpu_seconds(postmaster);
        const auto start = Clock::now();

        // Applies `messages` in batches of arguments.batch; returns how many were accepted.
        const auto apply_all = [&](const std::vector<Candidate>& stream) {
            Batch batch;
            std::size_t accepted = 0;
            for (std::size_t first = 0; first < stream.size(); first += arguments.batch) {
                const std::size_t end = std::min(stream.size(), first + arguments.batch);
                batch.candidates.assign(stream.begin() + static_cast<std::ptrdiff_t>(first),
                                        stream.begin() + static_cast<std::ptrdiff_t>(end));
                std::int64_t last[kPartitions] = {-1, -1, -1};
                for (const Candidate& candidate : batch.candidates) {
                    last[candidate.origin.partition] = candidate.origin.offset;
                }
                batch.positions.clear();
                for (int partition = 0; partition < kPartitions; ++partition) {
                    if (last[partition] >= 0)
                        batch.positions.push_back({"kafka", "bench", partition, last[partition]});
                }
                for (const ItemResult& result : store.apply(batch, rules, kToday)) {
                    if (result.outcome == Outcome::Created || result.outcome == Outcome::Updated)
                        ++accepted;
                }
            }
            return accepted;
        };
        std::size_t accepted = 0;
        if (arguments.parallel) {
            std::vector<Candidate> streams[kPartitions];
            for (const Candidate& message : messages) {
                streams[message.origin.partition].push_back(message);
            }
            std::size_t counts[kPartitions] = {};
            {
                std::vector<std::jthread> lanes;
                for (int partition = 0; partition < kPartitions; ++partition) {
                    lanes.emplace_back(
                        [&, partition] { counts[partition] = apply_all(streams[partition]); });
                }
            }
            for (const std::size_t count : counts) accepted += count;
        } else {
            accepted = apply_all(messages);
        }

        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const double cpu = server_cpu_seconds(postmaster) - cpu_before;
        const double wal_bytes = std::stod(
            admin.query("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '" + wal + "')"));
        const auto n = static_cast<double>(messages.size());
        if (accepted != messages.size() ||
            store.audit_count(std::nullopt) != static_cast<std::int64_t>(messages.size())) {
            throw std::runtime_error("not every message was accepted and audited once");
        }
        std::printf(
            "ingest: %zu messages, %zu ids, batch %zu%s%s: %.0f messages/s, PostgreSQL CPU %.1f s "
            "= "
            "%.1f us/message, WAL %.0f B/message\n",
            messages.size(), arguments.ids, arguments.batch, arguments.stable ? " (stable)" : "",
            arguments.parallel ? ", a thread per partition" : "", n / seconds, cpu, cpu * 1e6 / n,
            wal_bytes / n);
        if (statements) {
            std::printf("%-10s %12s %9s %10s %10s %10s  %s\n", "calls", "total ms", "us/msg",
                        "rows", "blks hit", "blks dirt", "statement");
            const std::string rows = admin.query(
                "SELECT calls, round(total_exec_time::numeric, 1), "
                "round((total_exec_time * 1000 / " +
                std::to_string(messages.size()) +
                ")::numeric, 2), rows, shared_blks_hit, shared_blks_dirtied, "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 70) FROM pg_stat_statements "
                "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC "
                "LIMIT 16");
            std::istringstream lines(rows);
            for (std::string line; std::getline(lines, line);) {
                std::vector<std::string> cells;
                std::istringstream split(line);
                for (std::string cell; std::getline(split, cell, '|');) cells.push_back(cell);
                if (cells.size() < 7) continue;
                std::printf("%-10s %12s %9s %10s %10s %10s  %s\n", cells[0].c_str(),
                            cells[1].c_str(), cells[2].c_str(), cells[3].c_str(), cells[4].c_str(),
                            cells[5].c_str(), cells[6].c_str());
            }
        }
        store.close();  // its backends exit and flush their statistics
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        std::printf("trades updates: %s (total|HOT)\n",
                    admin
                        .query("SELECT n_tup_upd || '|' || n_tup_hot_upd FROM pg_stat_user_tables "
                               "WHERE schemaname = '" +
                               schema + "' AND relname = 'trades'")
                        .c_str());
        admin.query("DROP SCHEMA " + schema + " CASCADE");
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "postgres_ingest_bench: %s\n", error.what());
        return 1;
    }
}
