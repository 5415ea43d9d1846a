// The store's concurrency contract on PostgreSQL (also under TSan), and what only a shared
// database adds: several store instances, standing for several tradestored processes,
// writing the same ids at once.
#include <gmock/gmock.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "pg_test_support.h"

namespace tradestore::contract {

TRADESTORE_INSTANTIATE_STORE_CONCURRENCY(Postgres, pgtest::postgres_implementation());

namespace {

constexpr int kIds = 100;
constexpr int kVersions = 20;
constexpr int kInstances = 2;
constexpr int kThreadsPerInstance = 2;

std::string id_of(int index) {
    return "P-" + std::to_string(1000 + index);
}

Trade make_trade(const std::string& id, std::int64_t version) {
    Trade trade;
    trade.trade_id = id;
    trade.version = version;
    trade.counter_party_id = "CP";
    trade.book_id = "B";
    trade.maturity_date = kToday + std::chrono::days{30};
    trade.created_date = kToday;
    return trade;
}

// Two instances on one database each receive every version 1..kVersions of the same ids,
// shuffled differently, in batches of random sizes, from two threads each.
TEST(PostgresSharedDatabase, TwoInstancesConvergeOnTheHighestVersionAndAuditEveryDecision) {
    pgtest::PostgresEnvironment environment;
    std::vector<std::unique_ptr<plugins::PostgresStore>> stores;
    for (int i = 0; i < kInstances; ++i) {
        stores.push_back(environment.create_postgres_store());
    }
    for (auto& store : stores) store->open();

    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};
    std::atomic<std::int64_t> results{0};
    std::atomic<std::int64_t> created{0};
    std::vector<std::thread> threads;
    for (int instance = 0; instance < kInstances; ++instance) {
        std::vector<std::pair<int, int>> work;
        for (int id = 0; id < kIds; ++id) {
            for (int version = 1; version <= kVersions; ++version) work.emplace_back(id, version);
        }
        std::mt19937 shuffle(static_cast<unsigned>(instance) + 7);
        std::shuffle(work.begin(), work.end(), shuffle);
        for (int t = 0; t < kThreadsPerInstance; ++t) {
            threads.emplace_back([&, instance, t, work] {
                Store& store = *stores[static_cast<std::size_t>(instance)];
                std::mt19937 rng(static_cast<unsigned>(instance * 10 + t));
                std::uniform_int_distribution<int> batch_size(1, 12);
                Batch batch;
                auto flush = [&] {
                    const auto items = store.apply(batch, rules, kToday);
                    EXPECT_EQ(items.size(), batch.candidates.size());
                    results += static_cast<std::int64_t>(items.size());
                    for (const ItemResult& item : items) {
                        if (item.outcome == Outcome::Created) ++created;
                    }
                    batch.candidates.clear();
                };
                int size = batch_size(rng);
                for (std::size_t i = static_cast<std::size_t>(t); i < work.size();
                     i += kThreadsPerInstance) {
                    const auto [id, version] = work[i];
                    batch.candidates.push_back(
                        {make_trade(id_of(id), version),
                         "rest",
                         "i" + std::to_string(instance) + ":" + std::to_string(version),
                         {}});
                    if (static_cast<int>(batch.candidates.size()) >= size) {
                        flush();
                        size = batch_size(rng);
                    }
                }
                if (!batch.candidates.empty()) flush();
            });
        }
    }
    for (auto& thread : threads) thread.join();

    constexpr std::int64_t kRequests = std::int64_t{kInstances} * kIds * kVersions;
    EXPECT_EQ(results.load(), kRequests);
    EXPECT_EQ(created.load(), kIds);  // exactly one instance created each id

    Store& store = *stores[0];
    const auto all = store.list(0, kIds * 2, kToday);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kIds));
    for (const Trade& trade : all) EXPECT_EQ(trade.version, kVersions) << trade.trade_id;
    EXPECT_EQ(store.audit_count(std::nullopt), kRequests);

    // The audit of each id, in id order, is the history of decisions really taken one after
    // the other: each entry saw the version the entries before it left behind.
    for (int id = 0; id < kIds; ++id) {
        const auto entries = store.audit(AuditQuery{id_of(id), 0, 1000});
        ASSERT_EQ(entries.size(), static_cast<std::size_t>(kInstances * kVersions));
        std::optional<std::int64_t> current;
        int creates = 0;
        for (const AuditEntry& entry : entries) {
            SCOPED_TRACE(id_of(id) + " entry " + std::to_string(entry.id));
            EXPECT_EQ(entry.stored_version, current);
            ASSERT_TRUE(entry.received_version);
            const std::int64_t received = *entry.received_version;
            if (!current) {
                EXPECT_EQ(entry.action, AuditAction::Create);
                ++creates;
            } else if (received > *current) {
                EXPECT_EQ(entry.action, AuditAction::Update);
            } else if (received == *current) {
                EXPECT_EQ(entry.action, AuditAction::Replace);
            } else {
                EXPECT_EQ(entry.action, AuditAction::ValidationFailed);
                EXPECT_THAT(entry.reason_codes, ::testing::ElementsAre("LOWER_VERSION"));
            }
            if (entry.success) current = received;
        }
        EXPECT_EQ(creates, 1);
        EXPECT_EQ(current, kVersions);
    }
    for (auto& s : stores) s->close();
}

// A consumer that lost its partitions (a zombie) and their new owner apply the same Kafka
// batches at once, from two instances, while a REST writer updates the same ids: each offset
// is decided by exactly one of them, the positions end at the last offset, and nothing fails
// (positions are locked before ids, and REST takes ids only, so nothing deadlocks).
TEST(PostgresSharedDatabase, TwoConsumersOfOnePartitionDecideEachOffsetOnce) {
    constexpr int kPartitions = 2;
    constexpr int kBatchesPerPartition = 30;
    constexpr int kPerBatch = 8;
    pgtest::PostgresEnvironment environment;
    std::vector<std::unique_ptr<plugins::PostgresStore>> stores;
    for (int i = 0; i < 3; ++i) stores.push_back(environment.create_postgres_store());
    for (auto& store : stores) store->open();
    plugins::TradeRules trade_rules(true, true);
    const std::vector<const Rule*> rules{&trade_rules};

    // Batches of both partitions, interleaved; offsets in order within each partition.
    std::vector<Batch> batches;
    for (int n = 0; n < kBatchesPerPartition; ++n) {
        for (std::int32_t partition = 0; partition < kPartitions; ++partition) {
            Batch& batch = batches.emplace_back();
            for (int i = 0; i < kPerBatch; ++i) {
                const std::int64_t offset = std::int64_t{n} * kPerBatch + i;
                batch.candidates.push_back(
                    {make_trade(id_of(static_cast<int>(offset % 10)), offset + 1),
                     "kafka",
                     "trades/" + std::to_string(partition) + "/" + std::to_string(offset),
                     {"trades", partition, offset}});
            }
        }
    }
    std::atomic<std::int64_t> decided{0};
    std::atomic<int> failures{0};
    std::atomic<bool> consuming{true};
    std::vector<std::thread> consumers;
    for (int consumer = 0; consumer < 2; ++consumer) {
        consumers.emplace_back([&, consumer] {
            for (const Batch& batch : batches) {
                try {
                    for (const ItemResult& item :
                         stores[static_cast<std::size_t>(consumer)]->apply(batch, rules, kToday)) {
                        if (!item.skipped_as_replay) ++decided;
                    }
                } catch (const std::exception& error) {
                    ++failures;
                    ADD_FAILURE() << "consumer " << consumer << ": " << error.what();
                }
            }
        });
    }
    std::thread rest([&] {
        for (int n = 0; consuming; ++n) {
            Batch batch;
            for (int id = 0; id < 10; id += 3) {
                batch.candidates.push_back(
                    {make_trade(id_of(id), 1 + n % 50), "rest", "r" + std::to_string(n), {}});
            }
            try {
                stores[2]->apply(batch, rules, kToday);
            } catch (const std::exception& error) {
                ++failures;
                ADD_FAILURE() << "rest: " << error.what();
            }
        }
    });
    for (auto& consumer : consumers) consumer.join();
    consuming = false;
    rest.join();

    constexpr std::int64_t kOffsets = std::int64_t{kPartitions} * kBatchesPerPartition * kPerBatch;
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(decided.load(), kOffsets);  // each by one consumer, the other skipped it
    pgtest::RawConnection raw(environment.uri());
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM audit_log WHERE source = 'kafka'"),
              std::to_string(kOffsets));
    EXPECT_EQ(raw.scalar("SELECT count(DISTINCT reference) FROM audit_log WHERE source = 'kafka'"),
              std::to_string(kOffsets));
    for (std::int32_t partition = 0; partition < kPartitions; ++partition) {
        EXPECT_EQ(stores[0]->position("kafka", "trades", partition),
                  std::int64_t{kBatchesPerPartition} * kPerBatch - 1);
    }
    for (auto& store : stores) store->close();
}

// Two instances race for the same job periods: each period has exactly one winner.
TEST(PostgresSharedDatabase, EachJobPeriodIsClaimedByExactlyOneInstance) {
    pgtest::PostgresEnvironment environment;
    auto first = environment.create_postgres_store();
    auto second = environment.create_postgres_store();
    first->open();
    second->open();

    constexpr int kPeriods = 40;
    std::array<std::array<std::atomic<int>, kPeriods>, 2> wins{};
    std::vector<std::thread> threads;
    for (int job = 0; job < 2; ++job) {
        for (plugins::PostgresStore* store : {first.get(), second.get()}) {
            threads.emplace_back([&, job, store] {
                const std::string name = job == 0 ? "expiry" : "audit-shipper";
                for (int period = 0; period < kPeriods; ++period) {
                    if (store->claim_job_run(name, 29'000'000 + period)) ++wins[job][period];
                }
            });
        }
    }
    for (auto& thread : threads) thread.join();
    for (int job = 0; job < 2; ++job) {
        for (int period = 0; period < kPeriods; ++period) {
            EXPECT_EQ(wins[job][period].load(), 1) << "job " << job << " period " << period;
        }
    }
    // A period once claimed stays claimed, for the winner too; the next one is free.
    EXPECT_FALSE(first->claim_job_run("expiry", 29'000'000));
    EXPECT_FALSE(second->claim_job_run("expiry", 29'000'000));
    EXPECT_TRUE(second->claim_job_run("expiry", 29'000'000 + kPeriods));
}

}  // namespace
}  // namespace tradestore::contract
