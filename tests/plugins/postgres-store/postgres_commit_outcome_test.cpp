// A COMMIT whose outcome the client never learns: tests/chaos/pg_commit_cutter.py sits between
// the store and the real server and cuts the connection right after the server answered every
// third COMMIT (the transaction committed; the client sees a lost connection). Every apply
// must either answer what committed or throw CommitOutcomeUnknown, and every candidate must
// be decided exactly once, as an oracle applying the version rule in order says.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "connection.h"
#include "pg_test_support.h"
#include "trade_rules.h"

extern char** environ;

// Set by tests/postgres/CMakeLists.txt.
#ifndef TRADESTORE_COMMIT_CUTTER
#error "TRADESTORE_COMMIT_CUTTER must name tests/chaos/pg_commit_cutter.py"
#endif

namespace tradestore::pgtest {
namespace {

constexpr Date kToday = contract::kToday;

// The server's TCP host and port, as libpq reads them from the URI.
std::pair<std::string, std::string> host_and_port(const std::string& uri) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(uri.c_str(), &error);
    if (options == nullptr) {
        std::string message = error != nullptr ? error : "cannot parse the URI";
        PQfreemem(error);
        throw std::runtime_error(message);
    }
    std::string host = "localhost";
    std::string port = "5432";
    for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
        if (option->val == nullptr) continue;
        if (std::string(option->keyword) == "host") host = option->val;
        if (std::string(option->keyword) == "port") port = option->val;
    }
    PQconninfoFree(options);
    return {host, port};
}

// The proxy, running until destroyed (SIGTERM). Its stderr goes to a file: one line per cut.
class CommitCutter {
  public:
    CommitCutter(const std::string& upstream, int cut_every, const std::filesystem::path& dir)
        : control_(dir / "cut-every"), log_(dir / "cutter.log") {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
        posix_spawn_file_actions_addclose(&actions, out[0]);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const std::string every = std::to_string(cut_every);
        const std::string control = control_.string();
        const char* const argv[] = {
            "python3",        TRADESTORE_COMMIT_CUTTER, "--listen",    "127.0.0.1:0",
            "--upstream",     upstream.c_str(),         "--cut-every", every.c_str(),
            "--control-file", control.c_str(),          nullptr};
        const int spawned = posix_spawnp(&pid_, "python3", &actions, nullptr,
                                         const_cast<char* const*>(argv), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(out[1]);
        if (spawned != 0) {
            ::close(out[0]);
            throw std::runtime_error("cannot start python3");
        }
        std::string line;
        char c = 0;
        while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
        ::close(out[0]);
        if (!line.starts_with("listening ")) throw std::runtime_error("the cutter said: " + line);
        port_ = line.substr(10);
    }
    ~CommitCutter() {
        ::kill(pid_, SIGCONT);
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
    CommitCutter(const CommitCutter&) = delete;
    CommitCutter& operator=(const CommitCutter&) = delete;

    const std::string& port() const noexcept { return port_; }
    // SIGSTOP and SIGCONT: stopped, it answers nobody (a new connection waits in its backlog).
    // pause() returns once the proxy has stopped (waitpid reports it), so that nothing sent
    // after it can still be forwarded by a proxy thread running on another core.
    void pause() const {
        ::kill(pid_, SIGSTOP);
        int status = 0;
        ::waitpid(pid_, &status, WUNTRACED);
    }
    void resume() const { ::kill(pid_, SIGCONT); }
    // Replaces --cut-every while running (0: never cut).
    void cut_every(int every) const {
        const auto temporary = control_.string() + ".new";
        std::ofstream(temporary) << every << "\n";
        std::filesystem::rename(temporary, control_);
    }
    int cuts() const {
        std::ifstream in(log_);
        int count = 0;
        for (std::string line; std::getline(in, line);)
            count += line.find("cut") != std::string::npos;
        return count;
    }

  private:
    std::filesystem::path control_;
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::string port_;
};

// What the rules say, applied in the order the store decided: the version rule only (every
// maturity is in the future).
class Oracle {
  public:
    Outcome decide(const Trade& incoming) const {
        const auto found = rows_.find(incoming.trade_id);
        if (found == rows_.end()) return Outcome::Created;
        if (incoming.version > found->second.version) return Outcome::Updated;
        if (incoming.version == found->second.version) return Outcome::Replaced;
        return Outcome::Rejected;
    }
    void apply(const Trade& incoming) {
        if (decide(incoming) != Outcome::Rejected) rows_[incoming.trade_id] = incoming;
    }
    const std::map<std::string, Trade>& rows() const noexcept { return rows_; }

  private:
    std::map<std::string, Trade> rows_;
};

class TemporaryDirectory {
  public:
    TemporaryDirectory() {
        std::string pattern = std::filesystem::temp_directory_path() / "tradestore-cut-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
        path_ = pattern;
    }
    ~TemporaryDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const noexcept { return path_; }

  private:
    std::filesystem::path path_;
};

// The URI through the cutter (plain text, so that the cutter can read it).
std::string through(const std::string& uri, const CommitCutter& cutter) {
    std::string proxied = with_parameter(uri, "host", "127.0.0.1");
    proxied = with_parameter(proxied, "port", cutter.port());
    proxied = with_parameter(proxied, "sslmode", "disable");
    return with_parameter(proxied, "gssencmode", "disable");
}

// Every candidate of the batch, skipped as a replay or not.
bool all_skipped(const std::vector<ItemResult>& results, bool skipped) {
    return std::all_of(results.begin(), results.end(), [skipped](const ItemResult& result) {
        return result.skipped_as_replay == skipped;
    });
}

// A fresh schema and a cutter in front of the test server, cutting nothing yet.
class PostgresCommitOutcome : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto [host, port] = host_and_port(env_.uri());
        if (host.starts_with("/")) {
            if (running_in_ci()) FAIL() << "the test server is not on TCP: no proxy can cut it";
            GTEST_SKIP() << "the test server is not on TCP";
        }
        cutter_ = std::make_unique<CommitCutter>(host + ":" + port, 0, dir_.path());
    }

    plugins::PostgresStoreOptions proxied_options() const {
        plugins::PostgresStoreOptions options = env_.options();
        options.pool.connection.uri = through(env_.uri(), *cutter_);
        return options;
    }

    PostgresEnvironment env_;
    TemporaryDirectory dir_;
    std::unique_ptr<CommitCutter> cutter_;
};

Trade make_trade(std::string id, std::int64_t version, std::string payload) {
    Trade trade;
    trade.trade_id = std::move(id);
    trade.version = version;
    trade.counter_party_id = std::move(payload);
    trade.book_id = "B";
    trade.maturity_date = kToday + std::chrono::days{30};
    trade.created_date = kToday;
    return trade;
}

TEST_F(PostgresCommitOutcome, ACommitCutAfterTheServerAnsweredIsNeitherLostNorAppliedTwice) {
    PostgresEnvironment& env = env_;
    CommitCutter& cutter = *cutter_;
    plugins::PostgresStoreOptions options = proxied_options();
    options.commit_outcome_timeout = std::chrono::seconds{5};
    plugins::PostgresStore store(options);
    store.open();
    cutter.cut_every(3);

    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};
    Oracle oracle;
    std::map<std::string, int> expected_audit;  // reference -> entries
    std::map<std::int32_t, std::int64_t> next_offset;
    std::mt19937 random(14);
    int unknown = 0;
    int applies = 0;

    constexpr int kBatches = 300;
    for (int n = 0; n < kBatches; ++n) {
        const bool kafka = random() % 2 == 1;
        const std::int32_t partition = static_cast<std::int32_t>(random() % 2);
        Batch batch;
        const int size = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < size; ++i) {
            const std::int64_t version = 1 + static_cast<std::int64_t>(random() % 8);
            Trade trade = make_trade("CO-" + std::to_string(random() % 20), version,
                                     "P" + std::to_string(n) + "-" + std::to_string(i));
            Candidate candidate{std::move(trade), "rest", "", {}};
            if (kafka) {
                const std::int64_t offset = next_offset[partition]++;
                candidate.source = "kafka";
                candidate.origin = {"trades", partition, offset};
                candidate.reference =
                    "trades/" + std::to_string(partition) + "/" + std::to_string(offset);
            } else {
                candidate.reference = "req-" + std::to_string(n) + "-" + std::to_string(i);
            }
            batch.candidates.push_back(std::move(candidate));
        }

        // The oracle's outcomes for this batch, as if it commits now.
        Oracle after = oracle;
        std::vector<Outcome> outcomes;
        for (const Candidate& candidate : batch.candidates) {
            outcomes.push_back(after.decide(candidate.trade));
            after.apply(candidate.trade);
        }
        bool committed = false;
        for (int attempt = 0; attempt < 5 && !committed; ++attempt) {
            ++applies;
            try {
                const auto results = store.apply(batch, rules, kToday);
                ASSERT_EQ(results.size(), batch.candidates.size());
                std::size_t skipped = 0;
                for (std::size_t i = 0; i < results.size(); ++i) {
                    if (results[i].skipped_as_replay) {
                        ++skipped;
                    } else {
                        EXPECT_EQ(results[i].outcome, outcomes[i]) << "batch " << n << " #" << i;
                    }
                }
                // A retry skips exactly what committed: all of it or none.
                EXPECT_TRUE(skipped == 0 || (attempt > 0 && skipped == results.size()))
                    << "batch " << n << ": " << skipped << " of " << results.size()
                    << " skipped as replays";
                committed = true;
            } catch (const CommitOutcomeUnknown& error) {
                ++unknown;
                if (!kafka) {  // learn from the audit whether the request committed
                    RawConnection raw(env.uri());
                    const std::string found =
                        raw.scalar("SELECT count(*) FROM audit_log WHERE reference LIKE $1",
                                   {"req-" + std::to_string(n) + "-%"});
                    EXPECT_TRUE(found == "0" || found == std::to_string(size)) << found;
                    committed = found != "0";
                    break;
                }
            } catch (const std::exception& error) {
                ADD_FAILURE() << "batch " << n << ": " << error.what();
                break;
            }
        }
        if (committed) {
            oracle = std::move(after);
            for (const Candidate& candidate : batch.candidates)
                ++expected_audit[candidate.reference];
        }
    }
    cutter.cut_every(0);

    std::printf("%d applies, %d COMMITs cut, %d CommitOutcomeUnknown\n", applies, cutter.cuts(),
                unknown);
    EXPECT_GE(cutter.cuts(), kBatches / 4) << "the proxy hardly cut: the test proves nothing";
    EXPECT_LE(unknown, applies / 20) << "CommitOutcomeUnknown must be rare";

    RawConnection raw(env.uri());
    std::map<std::string, int> audited;
    for (const auto& row : raw.query("SELECT reference, count(*) FROM audit_log GROUP BY 1")) {
        audited[row.at(0).value()] = std::stoi(row.at(1).value());
    }
    EXPECT_EQ(audited, expected_audit) << "a candidate audited twice, or lost";

    std::map<std::string, std::pair<std::int64_t, std::string>> stored;
    for (const auto& row : raw.query("SELECT trade_id, version, counter_party_id FROM trades")) {
        stored[row.at(0).value()] = {std::stoll(row.at(1).value()), row.at(2).value()};
    }
    std::map<std::string, std::pair<std::int64_t, std::string>> wanted;
    for (const auto& [id, trade] : oracle.rows())
        wanted[id] = {trade.version, trade.counter_party_id};
    EXPECT_EQ(stored, wanted);
    for (const auto& [partition, next] : next_offset) {
        EXPECT_EQ(store.position("kafka", "trades", partition), next - 1);
    }
}

// When the server cannot be asked in time (the cutter stops answering right after it cut the
// COMMIT), apply() throws CommitOutcomeUnknown within about its budget, never a plain
// StoreUnavailable; the transaction did commit, and a retry of the Kafka batch skips it all.
TEST_F(PostgresCommitOutcome, AnOutcomeThatCannotBeLearnedInTimeIsReportedAsUnknown) {
    plugins::PostgresStoreOptions options = proxied_options();
    options.commit_outcome_timeout = std::chrono::seconds{1};
    plugins::PostgresStore store(options);
    store.open();
    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};
    // The cutter logs a cut once it has closed the sockets: stop it as soon as the line is
    // there, before the store has reconnected through it (several round trips through the
    // proxy). Should the store win that race, it learned the outcome: try again.
    Batch batch;
    std::int64_t offset = 0;
    bool unknown = false;
    for (int attempt = 0; attempt < 3 && !unknown; ++attempt) {
        batch.candidates.clear();
        for (int i = 0; i < 3; ++i, ++offset) {
            batch.candidates.push_back({make_trade("UK-" + std::to_string(offset), 1, "P"),
                                        "kafka",
                                        "trades/0/" + std::to_string(offset),
                                        {"trades", 0, offset}});
        }
        const int cuts_before = cutter_->cuts();
        std::thread stopper([&] {
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
            while (cutter_->cuts() == cuts_before && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(std::chrono::microseconds{100});
            }
            cutter_->pause();
        });
        cutter_->cut_every(1);
        const auto start = std::chrono::steady_clock::now();
        try {
            store.apply(batch, rules, kToday);
        } catch (const CommitOutcomeUnknown& error) {
            unknown = true;
            EXPECT_THAT(error.what(), ::testing::HasSubstr("could not be learned within 1000 ms"));
            // The budget, plus at most one connection attempt (connect_timeout, 2 s here).
            const auto took = std::chrono::steady_clock::now() - start;
            EXPECT_GE(took, std::chrono::seconds{1});
            EXPECT_LT(took, std::chrono::seconds{5});
        }
        stopper.join();
        cutter_->cut_every(0);
        cutter_->resume();
    }
    ASSERT_TRUE(unknown) << "the store learned the outcome three times before the proxy stopped";

    RawConnection raw(env_.uri());
    const std::string audited = raw.scalar("SELECT count(*) FROM audit_log");
    EXPECT_EQ(audited, std::to_string(offset));  // every batch did commit
    const auto results = store.apply(batch, rules, kToday);
    ASSERT_EQ(results.size(), 3u);
    for (const ItemResult& result : results) EXPECT_TRUE(result.skipped_as_replay);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log"), audited);
    EXPECT_EQ(store.position("kafka", "trades", 0), offset - 1);
}

// The question about a cut COMMIT is bounded by the budget, even when the link stalls with
// the question in flight (the proxy stopped after the connection was made): the deadline of
// that one statement is the caller's, not statement_timeout plus connect_timeout (12 s here).
TEST_F(PostgresCommitOutcome, AStatementGivesUpAtTheCallersDeadlineWhenTheLinkStalls) {
    plugins::PostgresStoreOptions options = proxied_options();
    // A busy machine: the proxy (Python) must be given the time to connect through.
    options.pool.connection.connect_timeout = std::chrono::seconds{10};
    std::optional<plugins::pg::Connection> connection;
    ASSERT_NO_THROW(connection.emplace(options.pool.connection));
    const plugins::pg::Params none;
    // Prepared and answered while the proxy forwards.
    ASSERT_NO_THROW(connection->run(plugins::pg::Query::Ping, none));
    cutter_->pause();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(
        connection->run(plugins::pg::Query::Ping, none, start + std::chrono::milliseconds{300}),
        plugins::pg::Unavailable);
    const auto took = std::chrono::steady_clock::now() - start;
    cutter_->resume();
    EXPECT_GE(took, std::chrono::milliseconds{300});
    EXPECT_LT(took, std::chrono::seconds{5}) << "waited for statement_timeout instead";
    EXPECT_TRUE(connection->broken());
}

// The server restarts between the cut COMMIT and the question. A transaction id that never
// reached the WAL is handed out again after a crash, so "committed" is then checked against
// the rows the transaction wrote: here it did commit (a fast shutdown flushes), and apply()
// answers its results once, neither CommitOutcomeUnknown nor a second decision.
TEST(PostgresCommitOutcomeRestart, ACommitCutBeforeTheServerRestartedIsCheckedAgainstItsRows) {
    if (!PrivateServer::possible()) {
        GTEST_SKIP() << "TRADESTORE_TEST_PG_URI names an outside server, which is not ours";
    }
    std::unique_ptr<PrivateServer> server;
    try {
        server = std::make_unique<PrivateServer>();
    } catch (const std::exception& error) {
        if (running_in_ci()) FAIL() << error.what();
        GTEST_SKIP() << "no PostgreSQL server to restart: " << error.what();
    }
    const auto [host, port] = host_and_port(server->uri());
    TemporaryDirectory dir;
    CommitCutter cutter(host + ":" + port, 0, dir.path());
    plugins::PostgresStoreOptions options = store_options(through(server->uri(), cutter));
    options.commit_outcome_timeout = std::chrono::seconds{60};
    plugins::PostgresStore store(options);
    store.open();
    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};
    Batch batch;
    for (std::int64_t offset = 0; offset < 3; ++offset) {
        batch.candidates.push_back({make_trade("RS-" + std::to_string(offset), 1, "P"),
                                    "kafka",
                                    "trades/0/" + std::to_string(offset),
                                    {"trades", 0, offset}});
    }

    // Stop the cutter once it cut, restart the server, then let the store ask.
    std::thread restarter([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds{10};
        while (cutter.cuts() == 0 && std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::microseconds{100});
        }
        cutter.pause();
        server->pause();
        server->resume();
        cutter.cut_every(0);
        cutter.resume();
    });
    cutter.cut_every(1);
    std::vector<ItemResult> results;
    try {
        results = store.apply(batch, rules, kToday);
    } catch (const std::exception& error) {
        ADD_FAILURE() << error.what();
    }
    restarter.join();
    ASSERT_EQ(results.size(), 3u);
    EXPECT_TRUE(all_skipped(results, false));
    for (const ItemResult& result : results) EXPECT_EQ(result.outcome, Outcome::Created);

    RawConnection raw(server->uri());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log"), "3");
    EXPECT_TRUE(all_skipped(store.apply(batch, rules, kToday), true));
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log"), "3");
}

}  // namespace
}  // namespace tradestore::pgtest
