#include "ingest_pipeline.h"

#include <chrono>

#include "claim_ranges.h"
#include "trade_shape.h"

namespace tradestore::kernel {

namespace {
constexpr std::size_t kNotApplied = static_cast<std::size_t>(-1);
constexpr std::string_view kInvalidTrade = "INVALID_TRADE";
}  // namespace

IngestPipeline::IngestPipeline(std::shared_ptr<Store> store, std::vector<const Rule*> rules,
                               const BusinessClock& clock, IngestOptions options,
                               IngestLogger logger, IngestMetrics* metrics)
    : store_(std::move(store)),
      rules_(std::move(rules)),
      clock_(clock),
      options_(options),
      logger_(std::move(logger)),
      metrics_(metrics) {
    if (options_.max_batch_candidates == 0) options_.max_batch_candidates = 1;
    if (options_.writer_threads == 0) options_.writer_threads = 1;
}

IngestPipeline::~IngestPipeline() { stop(); }

void IngestPipeline::start() {
    std::lock_guard lock(mutex_);
    stopping_ = false;
    for (std::size_t i = writers_.size(); i < options_.writer_threads; ++i)
        writers_.emplace_back([this] { writer_loop(); });
}

void IngestPipeline::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    writers_.clear();  // jthread joins; writers drain the queue before they exit
}

void IngestPipeline::submit(Batch batch, std::function<void(IngestResult)> done) {
    Pending pending;
    pending.results.resize(batch.candidates.size());
    pending.store_index.assign(batch.candidates.size(), kNotApplied);
    // Shape problems are refused here, so no source can hand a store a malformed trade.
    Batch clean;
    clean.positions = std::move(batch.positions);
    clean.audit_only = std::move(batch.audit_only);
    clean.candidates.reserve(batch.candidates.size());
    for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
        if (auto problem = shape_problem(batch.candidates[i].trade)) {
            pending.results[i].reasons.push_back(
                {std::string(kInvalidTrade), "Trade " + batch.candidates[i].trade.trade_id + ": " + *problem});
            if (metrics_ != nullptr) metrics_->item(batch.candidates[i].source, pending.results[i]);
            continue;
        }
        pending.store_index[i] = clean.candidates.size();
        clean.candidates.push_back(std::move(batch.candidates[i]));
    }
    clean.idempotency = std::move(batch.idempotency);
    narrow_claims(clean.idempotency, pending.store_index, kNotApplied, pending.results);
    pending.batch = std::move(clean);
    pending.done = std::move(done);
    {
        std::unique_lock lock(mutex_);
        if (stopping_ || writers_.empty()) {
            lock.unlock();
            pending.done({IngestStatus::ShuttingDown, {}, "the daemon is shutting down"});
            return;
        }
        queue_.push_back(std::move(pending));
        if (metrics_ != nullptr) metrics_->queue_depth(queue_.size());
    }
    work_ready_.notify_one();
}

void IngestPipeline::writer_loop() {
    std::vector<Pending> group;
    for (;;) {
        group.clear();
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping and drained
            std::size_t candidates = 0;
            while (!queue_.empty()) {
                const std::size_t next = queue_.front().batch.candidates.size();
                if (!group.empty() && candidates + next > options_.max_batch_candidates) break;
                candidates += next;
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (metrics_ != nullptr) metrics_->queue_depth(queue_.size());
        }
        apply_group(group);
    }
}

void IngestPipeline::finish(Pending& pending, std::vector<ItemResult>::const_iterator results) {
    IngestResult result;
    result.items = std::move(pending.results);
    for (std::size_t i = 0; i < result.items.size(); ++i) {
        const std::size_t applied = pending.store_index[i];
        if (applied == kNotApplied) continue;
        result.items[i] = results[applied];
        if (metrics_ != nullptr)
            metrics_->item(pending.batch.candidates[applied].source, result.items[i]);
    }
    pending.done(std::move(result));
}

void IngestPipeline::fail(Pending& pending, const std::string& error) {
    if (metrics_ != nullptr) {
        for (const Candidate& candidate : pending.batch.candidates)
            metrics_->unavailable(candidate.source, 1);
    }
    pending.done({IngestStatus::Unavailable, {}, error});
}

std::vector<ItemResult> IngestPipeline::timed_apply(const Batch& batch) {
    const auto started = std::chrono::steady_clock::now();
    try {
        std::vector<ItemResult> results = store_->apply(batch, rules_, clock_.today());
        if (metrics_ != nullptr) {
            metrics_->commit(
                batch.candidates.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                false);
        }
        if (store_state_) store_state_(true, {});
        return results;
    } catch (const StoreUnavailable& error) {
        if (metrics_ != nullptr) metrics_->commit(batch.candidates.size(), 0, true);
        if (store_state_) store_state_(false, error.what());
        throw;
    } catch (...) {
        if (metrics_ != nullptr) metrics_->commit(batch.candidates.size(), 0, true);
        throw;
    }
}

void IngestPipeline::apply_group(std::vector<Pending>& group) {
    if (group.size() == 1) {
        apply_one(group.front());
        return;
    }
    Batch merged;
    for (auto& pending : group) {
        append_shifted_claims(merged.idempotency, pending.batch.idempotency,
                              merged.candidates.size());
        merged.candidates.insert(merged.candidates.end(), pending.batch.candidates.begin(),
                                 pending.batch.candidates.end());
        merged.positions.insert(merged.positions.end(), pending.batch.positions.begin(),
                                pending.batch.positions.end());
        merged.audit_only.insert(merged.audit_only.end(), pending.batch.audit_only.begin(),
                                 pending.batch.audit_only.end());
    }
    std::vector<ItemResult> results;
    try {
        results = timed_apply(merged);
    } catch (const std::exception& error) {
        // Nothing was committed. Apply each batch on its own, so one batch that the store
        // cannot take does not fail the others that happened to share its transaction.
        logger_(LogLevel::Warning,
                std::string("group commit failed, retrying batches one by one: ") + error.what());
        for (auto& pending : group) apply_one(pending);
        return;
    }
    if (results.size() != merged.candidates.size()) {
        logger_(LogLevel::Error, "store returned a wrong number of results; retrying one by one");
        for (auto& pending : group) apply_one(pending);
        return;
    }
    auto cursor = results.cbegin();
    for (auto& pending : group) {
        const auto count = static_cast<std::ptrdiff_t>(pending.batch.candidates.size());
        finish(pending, cursor);
        cursor += count;
    }
}

void IngestPipeline::apply_one(Pending& pending) {
    std::vector<ItemResult> results;
    if (!pending.batch.candidates.empty() || !pending.batch.positions.empty() ||
        !pending.batch.audit_only.empty() || !pending.batch.idempotency.empty()) {
        try {
            results = timed_apply(pending.batch);
        } catch (const IdempotencyKeyInUse& error) {
            pending.done({IngestStatus::KeyInUse, {}, error.what()});
            return;
        } catch (const StoreUnavailable& error) {
            logger_(LogLevel::Warning, std::string("store unavailable: ") + error.what());
            fail(pending, error.what());
            return;
        } catch (const std::exception& error) {
            logger_(LogLevel::Error, std::string("store apply failed: ") + error.what());
            fail(pending, error.what());
            return;
        }
    }
    if (results.size() != pending.batch.candidates.size()) {
        fail(pending, "store returned a wrong number of results");
        return;
    }
    finish(pending, results.cbegin());
}

}  // namespace tradestore::kernel
