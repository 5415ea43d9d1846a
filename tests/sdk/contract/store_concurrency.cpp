// The store under concurrent writers and readers: every write path serializes correctly, no
// candidate is lost or audited twice, and reads never go back in time.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "store_contract.h"

namespace tradestore::contract {

std::string concurrency_test_name(const ::testing::TestParamInfo<StoreImplementation>& info) {
    return info.param.name;
}

// Linked into executables that instantiate only the other suite.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConcurrencyTest);

namespace {

constexpr int kIds = 200;
constexpr int kVersions = 50;
constexpr int kWriters = 4;
constexpr int kReaders = 2;
constexpr int kMaxBatch = 8;

std::string id_of(int index) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "C-%03d", index);
    return buffer;
}

void raise_to(std::atomic<std::int64_t>& target, std::int64_t value) {
    std::int64_t current = target.load();
    while (current < value && !target.compare_exchange_weak(current, value)) {
    }
}

TEST_P(StoreConcurrencyTest, ShuffledVersionsFromManyWritersConvergeOnTheHighest) {
    // Every (id, version) pair once, shuffled, dealt to the writers.
    std::vector<std::pair<int, int>> work;
    work.reserve(kIds * kVersions);
    for (int id = 0; id < kIds; ++id) {
        for (int version = 1; version <= kVersions; ++version) work.emplace_back(id, version);
    }
    std::mt19937 shuffle_rng(20261124);
    std::shuffle(work.begin(), work.end(), shuffle_rng);

    std::array<std::atomic<std::int64_t>, kIds> highest_seen{};
    std::atomic<std::int64_t> created{0};
    std::atomic<std::int64_t> results{0};
    std::atomic<std::int64_t> went_back{0};
    std::atomic<bool> writing{true};

    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            std::mt19937 rng(static_cast<unsigned>(w) + 1);
            std::uniform_int_distribution<int> batch_size(1, kMaxBatch);
            std::vector<Candidate> batch;
            auto flush = [&] {
                Batch b;
                b.candidates = std::move(batch);
                batch.clear();
                const auto items = store().apply(b, rules_, kToday);
                EXPECT_EQ(items.size(), b.candidates.size());
                results += static_cast<std::int64_t>(items.size());
                for (const ItemResult& item : items) {
                    if (item.outcome == Outcome::Created) ++created;
                }
            };
            int size = batch_size(rng);
            for (std::size_t i = static_cast<std::size_t>(w); i < work.size(); i += kWriters) {
                const auto [id, version] = work[i];
                batch.push_back(candidate(trade(id_of(id), version), "kafka",
                                          id_of(id) + "@" + std::to_string(version)));
                if (static_cast<int>(batch.size()) >= size) {
                    flush();
                    size = batch_size(rng);
                }
            }
            if (!batch.empty()) flush();
        });
    }

    std::vector<std::thread> readers;
    for (int r = 0; r < kReaders; ++r) {
        readers.emplace_back([&, r] {
            std::mt19937 rng(static_cast<unsigned>(r) + 100);
            std::uniform_int_distribution<int> pick(0, kIds - 1);
            int round = 0;
            while (writing.load()) {
                const int id = pick(rng);
                const std::int64_t floor = highest_seen[id].load();
                const auto got = store().get(id_of(id), kToday);
                const std::int64_t seen = got ? got->version : 0;
                if (seen < floor) ++went_back;
                raise_to(highest_seen[id], seen);
                if (++round % 16 == 0) {
                    // The other read paths, on the pool as well.
                    const auto page = store().list(0, 20, kToday);
                    EXPECT_LE(page.size(), 20u);
                    const Statistics stats = store().statistics(kToday);
                    EXPECT_EQ(stats.total_trades, stats.active_trades + stats.expired_trades);
                    EXPECT_GE(store().audit_count(id_of(id)), seen > 0 ? 1 : 0);
                }
            }
        });
    }

    for (auto& t : writers) t.join();
    writing = false;
    for (auto& t : readers) t.join();

    EXPECT_EQ(went_back.load(), 0) << "a read observed an older version than an earlier read";
    EXPECT_EQ(results.load(), kIds * kVersions);
    EXPECT_EQ(created.load(), kIds);

    const auto all = store().list(0, kIds * 2, kToday);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kIds));
    for (const Trade& t : all) EXPECT_EQ(t.version, kVersions) << t.trade_id;

    EXPECT_EQ(store().audit_count(std::nullopt), kIds * kVersions);
    for (int id = 0; id < kIds; ++id) {
        EXPECT_EQ(store().audit_count(id_of(id)), kVersions) << id_of(id);
    }
    const Statistics stats = store().statistics(kToday);
    EXPECT_EQ(stats.total_trades, kIds);
    EXPECT_EQ(stats.active_trades, kIds);
}

TEST_P(StoreConcurrencyTest, DeletesExpiriesAndAppliesInterleave) {
    // Writers apply, delete and expire the same ids at once; each call is one transaction, so
    // the audit always holds exactly one entry per decision.
    constexpr int kRounds = 60;
    std::atomic<std::int64_t> decisions{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            for (int round = 0; round < kRounds; ++round) {
                const std::string id = id_of(round % 10);
                if ((round + w) % 5 == 0) {
                    store().remove(id, "rest", "del");  // deleted or NOT_FOUND: audited either way
                    ++decisions;
                } else if ((round + w) % 7 == 0) {
                    decisions += store().expire(kToday, "job");
                } else {
                    Batch batch;
                    batch.candidates.push_back(
                        candidate(trade(id, round * kWriters + w + 1), "rest", "r"));
                    decisions +=
                        static_cast<std::int64_t>(store().apply(batch, rules_, kToday).size());
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(store().audit_count(std::nullopt), decisions.load());
    EXPECT_TRUE(store().healthy());
}

}  // namespace
}  // namespace tradestore::contract
