// The fixture shared by the store contract suites.
#include <stdexcept>
#include <string>

#include "store_contract.h"

namespace tradestore::contract {

void PrintTo(const StoreImplementation& implementation, std::ostream* out) {
    *out << implementation.name;
}

void StoreTest::SetUp() {
    environment_ = GetParam().make_environment();
    ASSERT_NE(environment_, nullptr);
    store_ = environment_->create_store();
    ASSERT_NE(store_, nullptr);
    store_->open();
}

void StoreTest::TearDown() {
    if (store_) store_->close();
    store_.reset();
    environment_.reset();
}

namespace {

template <typename Capability>
Capability& offered(Capability* capability, const char* name) {
    if (capability == nullptr) throw std::logic_error(std::string("the store offers no ") + name);
    return *capability;
}

}  // namespace

AuditOutbox& StoreTest::audit_outbox() {
    return offered(store_->audit_outbox(), "audit outbox");
}

EventOutbox& StoreTest::event_outbox() {
    return offered(store_->event_outbox(), "event outbox");
}

IdempotencyKeys& StoreTest::idempotency_keys() {
    return offered(store_->idempotency_keys(), "idempotency keys");
}

void StoreTest::reopen() {
    store_->close();
    store_.reset();
    store_ = environment_->create_store();
    store_->open();
}

void StoreTest::reopen_with_change_feed() {
    environment_->change_feed = true;
    reopen();
}

Trade StoreTest::trade(std::string id, std::int64_t version, Date maturity, std::string book,
                       std::string counter_party) {
    Trade t;
    t.trade_id = std::move(id);
    t.version = version;
    t.counter_party_id = std::move(counter_party);
    t.book_id = std::move(book);
    t.maturity_date = maturity;
    t.created_date = kToday - std::chrono::days{3};
    return t;
}

Candidate StoreTest::candidate(Trade trade, std::string source, std::string reference) {
    return Candidate{std::move(trade), std::move(source), std::move(reference), {}};
}

std::vector<ItemResult> StoreTest::apply(std::vector<Candidate> candidates, Date business_date,
                                         std::vector<SourcePosition> positions) {
    Batch batch;
    batch.candidates = std::move(candidates);
    batch.positions = std::move(positions);
    return store_->apply(batch, rules_, business_date);
}

ItemResult StoreTest::apply_one(Trade trade, Date business_date) {
    std::vector<Candidate> candidates;
    candidates.push_back(candidate(std::move(trade)));
    auto results = apply(std::move(candidates), business_date);
    EXPECT_EQ(results.size(), 1u);
    return results.empty() ? ItemResult{} : std::move(results.front());
}

std::vector<AuditEntry> StoreTest::audit_of(const std::string& trade_id) {
    return store_->audit(AuditQuery{trade_id, 0, 1'000'000});
}

std::vector<AuditEntry> StoreTest::all_audit() {
    return store_->audit(AuditQuery{std::nullopt, 0, 1'000'000});
}

void expect_same_entry(const AuditEntry& a, const AuditEntry& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.trade_id, b.trade_id);
    EXPECT_EQ(a.action, b.action);
    EXPECT_EQ(a.success, b.success);
    EXPECT_EQ(a.reason_codes, b.reason_codes);
    EXPECT_EQ(a.message, b.message);
    EXPECT_EQ(a.received_version, b.received_version);
    EXPECT_EQ(a.stored_version, b.stored_version);
    EXPECT_EQ(a.source, b.source);
    EXPECT_EQ(a.reference, b.reference);
    EXPECT_EQ(a.timestamp, b.timestamp);
}

}  // namespace tradestore::contract
