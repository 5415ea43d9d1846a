// A Store whose apply() commits in memory or fails as a test scripts it: it refuses (throws
// StoreRefused for) any batch holding a chosen trade id or text the test deems unstorable, and
// throws queued exceptions on the next calls. It counts calls and keeps, in commit order, every
// batch it committed, so a test sees exactly what reached the store and what was applied twice.
// Every candidate it commits is Created; no rules run. hold() makes the next apply() wait
// until release(), so that batches submitted meanwhile queue up (and share a group commit).
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "null_store.h"

namespace tradestore::test_support {

class ScriptedStore : public NullStore {
  public:
    std::vector<ItemResult> apply(const Batch& batch, std::span<const Rule* const>, Date) override {
        std::unique_lock lock(mutex_);
        ++apply_calls_;
        std::exception_ptr failure;  // queued before this call began
        if (!failures_.empty()) {
            failure = failures_.front();
            failures_.pop_front();
        }
        released_.wait(lock, [this] { return !held_; });
        attempted_.push_back(batch);
        if (failure) std::rethrow_exception(failure);
        for (const Candidate& candidate : batch.candidates) {
            if (refused_ids_.contains(candidate.trade.trade_id))
                throw StoreRefused("value refused for trade " + candidate.trade.trade_id);
        }
        if (unstorable_ && unstorable_(batch)) throw StoreRefused("unstorable text in the batch");
        committed_.push_back(batch);
        std::vector<ItemResult> results(batch.candidates.size());
        for (std::size_t i = 0; i < results.size(); ++i) {
            results[i].outcome = Outcome::Created;
            results[i].stored = batch.candidates[i].trade;
        }
        return results;
    }

    // Every batch holding a candidate with one of these ids is refused.
    void refuse_id(std::string trade_id) {
        std::lock_guard lock(mutex_);
        refused_ids_.insert(std::move(trade_id));
    }
    // Every batch the predicate holds for is refused.
    void refuse_when(std::function<bool(const Batch&)> unstorable) {
        std::lock_guard lock(mutex_);
        unstorable_ = std::move(unstorable);
    }
    // The next apply() calls throw these, one each, in order.
    template <typename Exception>
    void fail_next(Exception failure, int times = 1) {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < times; ++i) failures_.push_back(std::make_exception_ptr(failure));
    }

    void hold() {
        std::lock_guard lock(mutex_);
        held_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            held_ = false;
        }
        released_.notify_all();
    }
    // Whether an apply() call is waiting in hold().
    bool holding() {
        std::lock_guard lock(mutex_);
        return held_ && apply_calls_ > 0;
    }

    int apply_calls() {
        std::lock_guard lock(mutex_);
        return apply_calls_;
    }
    std::vector<Batch> attempted() {
        std::lock_guard lock(mutex_);
        return attempted_;
    }
    std::vector<Batch> committed() {
        std::lock_guard lock(mutex_);
        return committed_;
    }
    // The trade ids of every committed candidate, in commit order.
    std::vector<std::string> committed_ids() {
        std::lock_guard lock(mutex_);
        std::vector<std::string> ids;
        for (const Batch& batch : committed_)
            for (const Candidate& candidate : batch.candidates)
                ids.push_back(candidate.trade.trade_id);
        return ids;
    }
    // Every committed audit-only entry, in commit order.
    std::vector<AuditEntry> committed_audit() {
        std::lock_guard lock(mutex_);
        std::vector<AuditEntry> entries;
        for (const Batch& batch : committed_)
            entries.insert(entries.end(), batch.audit_only.begin(), batch.audit_only.end());
        return entries;
    }

  private:
    std::mutex mutex_;
    std::condition_variable released_;
    bool held_ = false;
    int apply_calls_ = 0;
    std::set<std::string> refused_ids_;
    std::function<bool(const Batch&)> unstorable_;
    std::deque<std::exception_ptr> failures_;
    std::vector<Batch> attempted_;
    std::vector<Batch> committed_;
};

}  // namespace tradestore::test_support
