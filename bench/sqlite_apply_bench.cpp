// sqlite-store: applying batches with the default trade rules, on a temporary file.
//  - BM_SqliteApplyNewTrades: new ids only (every candidate creates), no origins.
//  - BM_SqliteApplyKafkaUpdates: bench/kafka_bench.sh's workload as the kafka-source hands it
//    to the store: 50,000 ids, message n is id n % 50,000 at version n / 50,000 + 1 (so every
//    message is a new version, and once the ids exist every candidate updates), counterparty
//    and book changing with n, each id on one of 3 partitions (as keyed messages are), with
//    origins, "topic/partition/offset" references and one position per partition. The ids are
//    created before the timing starts. This is the denominator of the Kafka ratio.
// Arguments: batch size, synchronous (1 = full, the daemon's default; 0 = normal).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
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

constexpr std::uint64_t kKafkaIds = 50'000;
constexpr std::int32_t kKafkaPartitions = 3;

// Fills `batch` with messages [first, first + size) of the Kafka workload.
void fill_kafka_batch(Batch& batch, std::uint64_t first, std::int64_t (&next_offset)[3]) {
    char text[32];
    std::int64_t last_offset[kKafkaPartitions] = {-1, -1, -1};
    for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
        const std::uint64_t n = first + i;
        const std::uint64_t id = n % kKafkaIds;
        Candidate& candidate = batch.candidates[i];
        Trade& trade = candidate.trade;
        int length =
            std::snprintf(text, sizeof text, "B%06llu", static_cast<unsigned long long>(id));
        trade.trade_id.assign(text, static_cast<std::size_t>(length));
        trade.version = static_cast<std::int64_t>(n / kKafkaIds + 1);
        length =
            std::snprintf(text, sizeof text, "CP-%llu", static_cast<unsigned long long>(n % 97));
        trade.counter_party_id.assign(text, static_cast<std::size_t>(length));
        length =
            std::snprintf(text, sizeof text, "BOOK-%llu", static_cast<unsigned long long>(n % 13));
        trade.book_id.assign(text, static_cast<std::size_t>(length));
        const auto partition = static_cast<std::int32_t>(id % kKafkaPartitions);
        const std::int64_t offset = next_offset[partition]++;
        last_offset[partition] = offset;
        candidate.origin.partition = partition;
        candidate.origin.offset = offset;
        length = std::snprintf(text, sizeof text, "bench/%d/%lld", partition,
                               static_cast<long long>(offset));
        candidate.reference.assign(text, static_cast<std::size_t>(length));
    }
    batch.positions.clear();
    for (std::int32_t partition = 0; partition < kKafkaPartitions; ++partition) {
        if (last_offset[partition] >= 0)
            batch.positions.push_back({"kafka", "bench", partition, last_offset[partition]});
    }
}

// The timed apply of BM_SqliteApplyKafkaUpdates, out of line so that a profiler can count it
// alone: valgrind --tool=callgrind --toggle-collect='*apply_timed_batch*' (the untimed
// creates before it call store.apply directly).
[[gnu::noinline]] std::vector<ItemResult> apply_timed_batch(plugins::SqliteStore& store,
                                                            const Batch& batch,
                                                            std::span<const Rule* const> rules) {
    auto results = store.apply(batch, rules, kToday);
    benchmark::ClobberMemory();  // no tail call: callgrind must see this function return
    return results;
}

void BM_SqliteApplyKafkaUpdates(benchmark::State& state) {
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
        candidate.trade.maturity_date = std::chrono::sys_days{std::chrono::year{2030} / 6 / 30};
        candidate.trade.created_date = kToday;
        candidate.source = "kafka";
        candidate.origin.stream = "bench";
    }

    std::int64_t next_offset[kKafkaPartitions] = {0, 0, 0};
    std::uint64_t next = 0;
    while (next < kKafkaIds) {  // the first version of every id, untimed
        fill_kafka_batch(batch, next, next_offset);
        store.apply(batch, rules, kToday);
        next += batch_size;
    }
    for (auto _ : state) {
        fill_kafka_batch(batch, next, next_offset);
        next += batch_size;
        auto results = apply_timed_batch(store, batch, rules);
        benchmark::DoNotOptimize(results.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(batch_size));
    store.close();
}

BENCHMARK(BM_SqliteApplyKafkaUpdates)
    ->ArgNames({"batch", "sync_full"})
    ->ArgsProduct({{500, 2000}, {1, 0}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

BENCHMARK(BM_SqliteApplyNewTrades)
    ->ArgNames({"batch", "sync_full"})
    ->ArgsProduct({{1, 100, 1000}, {1, 0}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
