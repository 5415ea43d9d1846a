// Test doubles for running the rest-source in-process: a store kept in a map, an ingest sink
// that applies candidates to it at once, and the shared fake host over them. Used by the unit
// tests and by the HTTP request fuzz harness (fuzz/http_request_fuzz.cpp).
#pragma once

#include <tradestore/clock.h>
#include <tradestore/history.h>
#include <tradestore/host.h>
#include <tradestore/store.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fake_host.h"

namespace tradestore::rest::fakes {

using namespace std::chrono;

using test_support::kToday;

// Trade history kept as given, per trade in the order added (oldest first); every query is
// recorded. Filters on recorded_at (inclusive), then skips and limits, as a store does.
class FakeHistory final : public TradeHistory {
  public:
    std::vector<HistoryRecord> history(const HistoryQuery& query) override {
        std::lock_guard lock(mutex);
        queries.push_back(query);
        std::vector<HistoryRecord> result;
        const auto it = records.find(query.trade_id);
        if (it == records.end()) return result;
        std::int64_t skipped = 0;
        for (const HistoryRecord& record : it->second) {
            if (query.from && record.recorded_at < *query.from) continue;
            if (query.to && record.recorded_at > *query.to) continue;
            if (skipped++ < query.skip) continue;
            if (static_cast<std::int64_t>(result.size()) == query.limit) break;
            result.push_back(record);
        }
        return result;
    }
    std::optional<HistoryRecord> version_at(const std::string& trade_id, Timestamp at) override {
        std::lock_guard lock(mutex);
        instants.push_back(at);
        std::optional<HistoryRecord> found;
        const auto it = records.find(trade_id);
        if (it == records.end()) return found;
        for (const HistoryRecord& record : it->second) {
            if (record.recorded_at <= at) found = record;
        }
        return found;
    }
    std::vector<HistoryRecord> trades_at(Timestamp at, std::int64_t skip,
                                         std::int64_t limit) override {
        std::vector<HistoryRecord> all = snapshot(at, std::nullopt);
        std::lock_guard lock(mutex);
        snapshots.push_back({at, "", skip, limit});
        const auto first = std::min<std::size_t>(static_cast<std::size_t>(skip), all.size());
        const auto end = std::min<std::size_t>(first + static_cast<std::size_t>(limit), all.size());
        return {all.begin() + static_cast<std::ptrdiff_t>(first),
                all.begin() + static_cast<std::ptrdiff_t>(end)};
    }
    std::vector<HistoryRecord> book_at(const std::string& book_id, Timestamp at) override {
        std::vector<HistoryRecord> all = snapshot(at, book_id);
        std::lock_guard lock(mutex);
        snapshots.push_back({at, book_id, 0, 0});
        return all;
    }
    std::int64_t prune_history(Timestamp) override {
        throw std::logic_error("the REST handlers never prune history");
    }

    struct SnapshotCall {
        Timestamp at;
        std::string book_id;  // "" for trades_at
        std::int64_t skip = 0;
        std::int64_t limit = 0;
    };
    std::vector<SnapshotCall> snapshots;

    // Each id's last record at or before `at` (not a DELETE), in id order, in `book` if given.
    std::vector<HistoryRecord> snapshot(Timestamp at, const std::optional<std::string>& book) {
        std::lock_guard lock(mutex);
        std::vector<HistoryRecord> out;
        for (const auto& [id, versions] : records) {
            const HistoryRecord* last = nullptr;
            for (const HistoryRecord& record : versions) {
                if (record.recorded_at <= at) last = &record;
            }
            if (last == nullptr || last->action == AuditAction::Delete) continue;
            if (book && last->trade.book_id != *book) continue;
            out.push_back(*last);
        }
        return out;
    }

    std::mutex mutex;
    std::map<std::string, std::vector<HistoryRecord>> records;
    std::vector<HistoryQuery> queries;
    std::vector<Timestamp> instants;  // version_at's
};

class FakeStore final : public Store {
  public:
    // nullptr (no history kept) until a test sets keeps_history.
    TradeHistory* trade_history() override { return keeps_history ? &history : nullptr; }

    void open() override {}
    void close() override {}
    std::vector<ItemResult> apply(const Batch&, std::span<const Rule* const>, Date) override {
        return {};
    }
    std::optional<Trade> get(const std::string& trade_id, Date) override {
        std::lock_guard lock(mutex);
        if (fail_with_unavailable) throw StoreUnavailable("database is locked");
        if (fail_with_error) throw std::runtime_error("secret internal detail");
        auto it = trades.find(trade_id);
        if (it == trades.end()) return std::nullopt;
        return it->second;
    }
    std::vector<Trade> list(std::int64_t skip, std::int64_t limit, Date) override {
        std::lock_guard lock(mutex);
        std::vector<Trade> result;
        std::int64_t i = 0;
        for (const auto& [id, trade] : trades) {
            if (i++ < skip) continue;
            if (static_cast<std::int64_t>(result.size()) == limit) break;
            result.push_back(trade);
        }
        return result;
    }
    std::vector<Trade> list_by_book(const std::string& book_id, Date) override {
        std::lock_guard lock(mutex);
        std::vector<Trade> result;
        for (const auto& [id, trade] : trades) {
            if (trade.book_id == book_id) result.push_back(trade);
        }
        return result;
    }
    bool remove(const std::string& trade_id, const std::string& source,
                const std::string& reference) override {
        std::lock_guard lock(mutex);
        last_remove = source + "/" + reference;
        return trades.erase(trade_id) == 1;
    }
    Statistics statistics(Date) override {
        return {static_cast<std::int64_t>(trades.size()), 0, 0};
    }
    std::int64_t expire(Date, const std::string&) override { return 0; }
    std::vector<AuditEntry> audit(const AuditQuery& query) override {
        std::lock_guard lock(mutex);
        last_audit_query = query;
        AuditEntry entry;
        entry.id = 1;
        entry.trade_id = query.trade_id.value_or("T1");
        return {entry};
    }
    std::int64_t audit_count(const std::optional<std::string>&) override { return 1; }
    std::optional<std::int64_t> position(const std::string&, const std::string&,
                                         std::int32_t) override {
        return std::nullopt;
    }
    bool healthy() override { return true; }

    std::mutex mutex;
    std::map<std::string, Trade> trades;
    bool fail_with_unavailable = false;
    bool fail_with_error = false;
    std::string last_remove;
    AuditQuery last_audit_query;
    FakeHistory history;
    bool keeps_history = false;
};

// Applies candidates to the fake store: lower versions are rejected, the rest stored.
class FakeIngest final : public IngestSink {
  public:
    explicit FakeIngest(FakeStore& store) : store_(store) {}
    std::optional<std::int64_t> position(const std::string&, const std::string&,
                                         std::int32_t) override {
        return std::nullopt;
    }
    void submit(Batch batch, std::function<void(IngestResult)> done) override {
        if (gate) {
            entered.set_value();
            gate->wait();
        }
        IngestResult result;
        {
            std::lock_guard lock(store_.mutex);
            batches.push_back(batch);
            result.status = status;
            if (status == IngestStatus::Committed) {
                for (const Candidate& c : batch.candidates) {
                    ItemResult item;
                    auto it = store_.trades.find(c.trade.trade_id);
                    if (c.deletes && refuse_deletes) {
                        item.reasons.push_back(
                            {"BOOK_CLOSED", "Trade " + c.trade.trade_id + ": book B1 is closed"});
                    } else if (c.deletes) {
                        if (it == store_.trades.end()) {
                            item.reasons.push_back(
                                {"NOT_FOUND", "Trade " + c.trade.trade_id + " not found"});
                        } else {
                            item.outcome = Outcome::Deleted;
                            item.stored = it->second;
                            store_.trades.erase(it);
                        }
                    } else if (it != store_.trades.end() && c.trade.version < it->second.version) {
                        item.outcome = Outcome::Rejected;
                        item.reasons.push_back(
                            {"LOWER_VERSION", "Trade " + c.trade.trade_id + ": Received version " +
                                                  std::to_string(c.trade.version) + " is lower"});
                    } else {
                        item.outcome = it == store_.trades.end()               ? Outcome::Created
                                       : it->second.version == c.trade.version ? Outcome::Replaced
                                                                               : Outcome::Updated;
                        Trade stored = c.trade;
                        stored.last_updated = Timestamp{kToday} + hours{1};
                        store_.trades[stored.trade_id] = stored;
                        item.stored = stored;
                    }
                    result.items.push_back(std::move(item));
                }
            } else {
                result.error = "store down";
            }
        }
        done(std::move(result));
    }

    std::vector<Batch> batches;
    IngestStatus status = IngestStatus::Committed;
    bool refuse_deletes = false;  // as a rule that refuses deletes would
    std::shared_future<void> gate_future;
    std::optional<std::shared_future<void>> gate;
    std::promise<void> entered;

  private:
    FakeStore& store_;
};

// The store, sink and switches the rest-source's fake host is built over (a base, so that they
// exist before the host that refers to them).
struct FakeHostParts {
    FakeStore store_;
    FakeIngest ingest_{store_};
    std::atomic<bool> store_up{true};
    std::string expired_by;  // the source of the last expire_now
};

// The shared fake host (tests/support/fake_host.h) over a FakeStore and a FakeIngest, at
// 06:00 on kToday, version 9.9.9; its health follows store_up, expire_now answers 2.
class FakeHost final : public FakeHostParts, public test_support::FakeHost {
  public:
    FakeHost() : test_support::FakeHost(store_, ingest_) {
        clock_ = FixedClock(kToday, Timestamp{kToday} + hours{6});
        version_text = "9.9.9";
        health_answer = [this]() -> HealthReport {
            if (!store_up) return {false, {{"rest", "up"}, {"store", "down"}}, false};
            return {true, {{"rest", "up"}, {"store", "up"}}, true};
        };
        expire_answer = [this](const std::string& source) -> std::int64_t {
            expired_by = source;
            return 2;
        };
    }
};

}  // namespace tradestore::rest::fakes
