// sqlite-store: applying batches of new trades with the default trade rules, on a temporary
// file. Arguments: batch size, synchronous (1 = full, the default; 0 = normal).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "sqlite_store.h"
#include "trade_rules.h"

namespace {

using namespace tradestore;

constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

class TempDirectory {
  public:
    TempDirectory() {
        std::string pattern = std::filesystem::temp_directory_path() / "tradestore-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = pattern;
    }
    ~TempDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

void BM_SqliteApplyNewTrades(benchmark::State& state) {
    const auto batch_size = static_cast<std::size_t>(state.range(0));
    TempDirectory directory;
    plugins::SqliteStoreOptions options;
    options.connection.path = directory.path() / "bench.db";
    options.connection.synchronous = state.range(1) != 0 ? plugins::sqlite::Synchronous::Full
                                                         : plugins::sqlite::Synchronous::Normal;
    plugins::SqliteStore store(options);
    store.open();

    plugins::TradeRules trade_rules(true, true);
    const Rule* rules[] = {&trade_rules};

    Batch batch;
    batch.candidates.resize(batch_size);
    for (Candidate& candidate : batch.candidates) {
        candidate.trade.trade_id.reserve(16);
        candidate.trade.version = 1;
        candidate.trade.counter_party_id = "CP-1";
        candidate.trade.book_id = "B1";
        candidate.trade.maturity_date = kToday + std::chrono::days{365};
        candidate.trade.created_date = kToday;
        candidate.source = "bench";
        candidate.reference = "bench";
    }

    std::uint64_t next_id = 0;
    char id[24];
    for (auto _ : state) {
        for (Candidate& candidate : batch.candidates) {  // new ids: every candidate creates
            const int length = std::snprintf(id, sizeof id, "T%012llu",
                                             static_cast<unsigned long long>(next_id++));
            candidate.trade.trade_id.assign(id, static_cast<std::size_t>(length));
        }
        auto results = store.apply(batch, rules, kToday);
        benchmark::DoNotOptimize(results.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(batch_size));
    store.close();
}

BENCHMARK(BM_SqliteApplyNewTrades)
    ->ArgNames({"batch", "sync_full"})
    ->ArgsProduct({{1, 100, 1000}, {1, 0}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
