// The store contract: one suite, written against tradestore::Store alone, that every store
// implementation must pass. An implementation joins by providing a StoreEnvironment (a fresh,
// empty storage location per test) and instantiating the suites with the macros below:
//
//   TRADESTORE_INSTANTIATE_STORE_CONTRACT(Sqlite, StoreImplementation{"sqlite", make_env});
//   TRADESTORE_INSTANTIATE_STORE_CONCURRENCY(Sqlite, StoreImplementation{"sqlite", make_env});
//   TRADESTORE_INSTANTIATE_STORE_OUTBOX(Sqlite, StoreImplementation{"sqlite", make_env});
//
// The outbox suite (store_outbox_contract.cpp) covers the audit outbox hooks that the
// mongo-audit shipper uses (unshipped_audit, mark_audit_shipped, prune_shipped_audit); a store
// that offers them instantiates it. The event outbox suite (store_event_outbox_contract.cpp)
// covers append_events, unshipped_events, mark_events_shipped and prune_shipped_events
// (TRADESTORE_INSTANTIATE_STORE_EVENT_OUTBOX).
//
// Link the executable with store_contract_suite. The functional suite and the concurrency
// suite are meant for separate executables (the concurrency one runs under TSan too).
#pragma once

#include <gtest/gtest.h>
#include <tradestore/history.h>
#include <tradestore/store.h>
#include <tradestore/store_capabilities.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "trade_rules.h"

namespace tradestore::contract {

// One fresh, empty storage location (a temporary file, a scratch database), removed when the
// environment is destroyed.
class StoreEnvironment {
  public:
    virtual ~StoreEnvironment() = default;
    // A new store over this location, not opened yet. Calling it again after the previous
    // store was closed reopens the same data.
    virtual std::unique_ptr<Store> create_store() = 0;

    // Whether the stores created from now on queue their history rows in a change outbox.
    bool change_feed = false;
};

struct StoreImplementation {
    std::string name;  // the test parameter's name, e.g. "sqlite"
    std::function<std::unique_ptr<StoreEnvironment>()> make_environment;
};

void PrintTo(const StoreImplementation& implementation, std::ostream* out);

// Name generators for the instantiation macros. Each is defined in the file holding its
// suite, so naming it also links that suite's tests into the executable.
std::string contract_test_name(const ::testing::TestParamInfo<StoreImplementation>& info);
std::string concurrency_test_name(const ::testing::TestParamInfo<StoreImplementation>& info);
std::string outbox_test_name(const ::testing::TestParamInfo<StoreImplementation>& info);
std::string event_outbox_test_name(const ::testing::TestParamInfo<StoreImplementation>& info);

// Every field of two audit entries is equal.
void expect_same_entry(const AuditEntry& a, const AuditEntry& b);

// A trade's whole history, oldest first; none, and a test failure, when the store keeps none.
std::vector<HistoryRecord> history_of(Store& store, const std::string& trade_id);

// The business date of every test: fixed, never the wall clock.
inline constexpr Date kToday = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24};

// Fresh environment and an opened store per test; helpers to build candidates and batches.
class StoreTest : public ::testing::TestWithParam<StoreImplementation> {
  protected:
    void SetUp() override;
    void TearDown() override;

    Store& store() { return *store_; }
    // The store's capabilities (tradestore/store_capabilities.h), for the suites that need
    // them; each throws (failing the test) when the store does not offer it.
    AuditOutbox& audit_outbox();
    EventOutbox& event_outbox();
    IdempotencyKeys& idempotency_keys();
    // Closes the store and opens a new one over the same location.
    void reopen();
    // reopen(), the new store queueing its history rows in its change outbox.
    void reopen_with_change_feed();

    static Trade trade(std::string id, std::int64_t version,
                       Date maturity = kToday + std::chrono::days{30}, std::string book = "B1",
                       std::string counter_party = "CP-1");
    static Candidate candidate(Trade trade, std::string source = "rest",
                               std::string reference = "req-1");
    // Applies the candidates as one batch with the default trade rules.
    std::vector<ItemResult> apply(std::vector<Candidate> candidates, Date business_date = kToday,
                                  std::vector<SourcePosition> positions = {});
    // Applies one candidate on its own.
    ItemResult apply_one(Trade trade, Date business_date = kToday);
    std::vector<AuditEntry> audit_of(const std::string& trade_id);
    std::vector<AuditEntry> all_audit();

    plugins::TradeRules trade_rules_{true, true};
    std::vector<const Rule*> rules_{&trade_rules_};

  private:
    std::unique_ptr<StoreEnvironment> environment_;
    std::unique_ptr<Store> store_;
};

class StoreContractTest : public StoreTest {};
class StoreConcurrencyTest : public StoreTest {};
class StoreOutboxTest : public StoreTest {};
class StoreEventOutboxTest : public StoreTest {};

}  // namespace tradestore::contract

#define TRADESTORE_INSTANTIATE_STORE_CONTRACT(prefix, ...)                              \
    INSTANTIATE_TEST_SUITE_P(prefix, StoreContractTest, ::testing::Values(__VA_ARGS__), \
                             ::tradestore::contract::contract_test_name)

#define TRADESTORE_INSTANTIATE_STORE_CONCURRENCY(prefix, ...)                              \
    INSTANTIATE_TEST_SUITE_P(prefix, StoreConcurrencyTest, ::testing::Values(__VA_ARGS__), \
                             ::tradestore::contract::concurrency_test_name)

#define TRADESTORE_INSTANTIATE_STORE_OUTBOX(prefix, ...)                              \
    INSTANTIATE_TEST_SUITE_P(prefix, StoreOutboxTest, ::testing::Values(__VA_ARGS__), \
                             ::tradestore::contract::outbox_test_name)

#define TRADESTORE_INSTANTIATE_STORE_EVENT_OUTBOX(prefix, ...)                             \
    INSTANTIATE_TEST_SUITE_P(prefix, StoreEventOutboxTest, ::testing::Values(__VA_ARGS__), \
                             ::tradestore::contract::event_outbox_test_name)
