#include "ingest_pipeline.h"

#include <tradestore/batch_decision.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <utility>

#include "claim_ranges.h"
#include "trade_shape.h"

namespace tradestore::kernel {

namespace {
constexpr std::size_t kNotApplied = static_cast<std::size_t>(-1);
constexpr std::string_view kInvalidTrade = "INVALID_TRADE";

void make_storable(std::string& text, std::size_t max_bytes) {
    text = storable_text(text, max_bytes);
}

// Every field of the batch that the shape guard does not check becomes text any store can
// hold: a dead letter's audit entry takes its Kafka key as trade id, whatever bytes it holds.
void make_storable(Batch& batch) {
    for (Candidate& candidate : batch.candidates) {
        make_storable(candidate.source, kMaxStorableNameBytes);
        make_storable(candidate.reference, kMaxStorableNameBytes);
        make_storable(candidate.origin.stream, kMaxStorableNameBytes);
    }
    for (AuditEntry& entry : batch.audit_only) {
        make_storable(entry.trade_id, kMaxStorableIdBytes);
        for (std::string& code : entry.reason_codes) make_storable(code, kMaxStorableNameBytes);
        make_storable(entry.message, kMaxStorableMessageBytes);
        make_storable(entry.source, kMaxStorableNameBytes);
        make_storable(entry.reference, kMaxStorableNameBytes);
        make_storable(entry.origin.stream, kMaxStorableNameBytes);
    }
    for (SourcePosition& position : batch.positions) {
        make_storable(position.source, kMaxStorableNameBytes);
        make_storable(position.stream, kMaxStorableNameBytes);
    }
}

PartitionKey partition_of(const std::string& source, const Origin& origin) {
    return {source, origin.stream, origin.partition};
}

// Splits a batch before candidate `at`. A store records the highest offset a transaction
// applies or names and then skips every lower one, so each partition's items must stay in
// offset order across the halves: an audit-only entry goes second only when a candidate of
// the second half comes before it in its partition, and the positions go second.
std::pair<Batch, Batch> split_batch(Batch batch, std::size_t at) {
    std::map<PartitionKey, std::int64_t> second_starts;  // lowest offset in the second half
    for (std::size_t i = at; i < batch.candidates.size(); ++i) {
        const Candidate& item = batch.candidates[i];
        if (!item.origin.positioned()) continue;
        auto [start, inserted] =
            second_starts.try_emplace(partition_of(item.source, item.origin), item.origin.offset);
        if (!inserted) start->second = std::min(start->second, item.origin.offset);
    }
    Batch first;
    Batch second;
    const auto middle = batch.candidates.begin() + static_cast<std::ptrdiff_t>(at);
    first.candidates.assign(std::make_move_iterator(batch.candidates.begin()),
                            std::make_move_iterator(middle));
    second.candidates.assign(std::make_move_iterator(middle),
                             std::make_move_iterator(batch.candidates.end()));
    for (AuditEntry& entry : batch.audit_only) {
        bool later = false;
        if (entry.origin.positioned()) {
            const auto start = second_starts.find(partition_of(entry.source, entry.origin));
            later = start != second_starts.end() && entry.origin.offset > start->second;
        }
        (later ? second : first).audit_only.push_back(std::move(entry));
    }
    second.positions = std::move(batch.positions);
    return {std::move(first), std::move(second)};
}

// Before the first entry of the same partition with a higher offset, keeping offset order.
void insert_in_offset_order(std::vector<AuditEntry>& entries, AuditEntry entry) {
    auto at = entries.end();
    if (entry.origin.positioned()) {
        const PartitionKey key = partition_of(entry.source, entry.origin);
        at = std::find_if(entries.begin(), entries.end(), [&](const AuditEntry& other) {
            return other.origin.positioned() && other.origin.offset > entry.origin.offset &&
                   partition_of(other.source, other.origin) == key;
        });
    }
    entries.insert(at, std::move(entry));
}

// What the client or the operator reads: the trade, and that the store could not hold it;
// never the store's own error text, which may quote SQL.
std::string refusal_message(const Candidate& refused) {
    return "Trade " + storable_text(refused.trade.trade_id, kMaxStorableIdBytes) + ": version " +
           std::to_string(refused.trade.version) +
           " was not stored: the store could not hold this trade";
}

ItemResult refusal_result(const Candidate& refused) {
    ItemResult result;
    result.outcome = Outcome::Rejected;
    result.reasons.push_back({std::string(reason::kStoreRefused), refusal_message(refused)});
    return result;
}

// Recorded in place of the refused candidate, with its origin, so a replay skips it.
AuditEntry refusal_audit(const Candidate& refused) {
    AuditEntry entry;
    entry.trade_id = refused.trade.trade_id;
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {std::string(reason::kStoreRefused)};
    entry.message = refusal_message(refused);
    entry.received_version = refused.trade.version;
    entry.source = refused.source;
    entry.reference = refused.reference;
    entry.origin = refused.origin;
    return entry;
}

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
    if (options_.request_writers == 0) options_.request_writers = 1;
    options_.backlog_share_percent =
        std::clamp<std::size_t>(options_.backlog_share_percent, 1, 100);
}

IngestPipeline::~IngestPipeline() {
    stop();
}

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
    // Shape problems are refused here, so no source can hand a store a malformed trade, and
    // every other field is made storable.
    make_storable(batch);
    Batch clean;
    clean.positions = std::move(batch.positions);
    clean.audit_only = std::move(batch.audit_only);
    clean.bulk = batch.bulk;
    clean.candidates.reserve(batch.candidates.size());
    for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
        if (auto problem = shape_problem(batch.candidates[i])) {
            pending.results[i].reasons.push_back(
                {std::string(kInvalidTrade),
                 "Trade " + storable_text(batch.candidates[i].trade.trade_id, kMaxStorableIdBytes) +
                     ": " + *problem});
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
        const bool bulk = pending.batch.bulk;
        if (!bulk) last_interactive_ = std::chrono::steady_clock::now();
        (bulk ? bulk_ : interactive_).push_back(std::move(pending));
        if (metrics_ != nullptr) metrics_->queue_depth(interactive_.size() + bulk_.size());
    }
    // One idle writer is enough: whether a queue may be taken does not depend on which
    // writer looks, and busy writers look again when they finish. Waking all of them on
    // every request costs more CPU than the requests' group commit saves.
    work_ready_.notify_one();
}

bool IngestPipeline::requests_arriving() const {
    constexpr auto kRequestsArriving = std::chrono::seconds(1);
    return std::chrono::steady_clock::now() - last_interactive_ < kRequestsArriving;
}

std::deque<IngestPipeline::Pending>* IngestPipeline::next_queue() {
    if (!interactive_.empty() && interactive_writers_ < options_.request_writers)
        return &interactive_;
    const bool arriving = requests_arriving();
    if (arriving && std::chrono::steady_clock::now() < bulk_not_before_) return nullptr;
    const std::size_t bulk_limit =
        arriving ? 1 : std::max<std::size_t>(1, options_.writer_threads - 1);
    if (!bulk_.empty() && bulk_writers_ < bulk_limit) return &bulk_;
    return nullptr;
}

void IngestPipeline::writer_loop() {
    std::vector<Pending> group;
    for (;;) {
        group.clear();
        bool bulk = false;
        {
            std::unique_lock lock(mutex_);
            std::deque<Pending>* queue = nullptr;
            for (;;) {
                queue = next_queue();
                if (queue != nullptr || (stopping_ && interactive_.empty() && bulk_.empty())) break;
                if (!bulk_.empty() && std::chrono::steady_clock::now() < bulk_not_before_) {
                    work_ready_.wait_until(lock, bulk_not_before_);
                } else {
                    work_ready_.wait(lock);
                }
            }
            if (queue == nullptr) return;  // stopping and drained
            bulk = queue == &bulk_;
            std::size_t candidates = 0;
            while (!queue->empty()) {
                const std::size_t next = queue->front().batch.candidates.size();
                if (!group.empty() && candidates + next > options_.max_batch_candidates) break;
                candidates += next;
                group.push_back(std::move(queue->front()));
                queue->pop_front();
            }
            ++(bulk ? bulk_writers_ : interactive_writers_);
            if (metrics_ != nullptr) metrics_->queue_depth(interactive_.size() + bulk_.size());
        }
        const auto started = std::chrono::steady_clock::now();
        apply_group(group);
        {
            std::lock_guard lock(mutex_);
            --(bulk ? bulk_writers_ : interactive_writers_);
            if (bulk && requests_arriving() && options_.backlog_share_percent < 100) {
                // The backlog's share of time: it rests as long again as its share leaves over.
                const auto now = std::chrono::steady_clock::now();
                const auto share = static_cast<std::int64_t>(options_.backlog_share_percent);
                bulk_not_before_ = now + (now - started) * (100 - share) / share;
            }
        }
        // This writer looks again itself; one more may take the other kind of work now.
        work_ready_.notify_one();
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

void IngestPipeline::fail(Pending& pending, IngestStatus status, const std::string& error) {
    if (metrics_ != nullptr) {
        for (const Candidate& candidate : pending.batch.candidates)
            metrics_->unavailable(candidate.source, 1);
    }
    pending.done({status, {}, error});
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
        apply_alone(group.front());
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
    } catch (const CommitOutcomeUnknown& error) {
        // The group may have committed: applying its batches again could decide a request
        // twice, so each learns that the outcome is unknown and its source decides.
        logger_(LogLevel::Warning,
                std::string("group commit outcome unknown; no batch is applied again: ") +
                    error.what());
        for (auto& pending : group) fail(pending, IngestStatus::OutcomeUnknown, error.what());
        return;
    } catch (const std::exception& error) {
        // Nothing was committed. Apply each batch on its own, so one batch that the store
        // cannot take does not fail the others that happened to share its transaction.
        logger_(LogLevel::Warning,
                std::string("group commit failed, applying batches one by one: ") + error.what());
        for (auto& pending : group) apply_alone(pending);
        return;
    }
    if (results.size() != merged.candidates.size()) {
        logger_(LogLevel::Error, "store returned a wrong number of results; retrying one by one");
        for (auto& pending : group) apply_alone(pending);
        return;
    }
    auto cursor = results.cbegin();
    for (auto& pending : group) {
        const auto count = static_cast<std::ptrdiff_t>(pending.batch.candidates.size());
        finish(pending, cursor);
        cursor += count;
    }
}

void IngestPipeline::apply_alone(Pending& pending) {
    const Batch& batch = pending.batch;
    std::vector<ItemResult> results;
    if (!batch.candidates.empty() || !batch.positions.empty() || !batch.audit_only.empty() ||
        !batch.idempotency.empty()) {
        try {
            try {
                results = timed_apply(batch);
            } catch (const StoreUnavailable&) {
                throw;
            } catch (const IdempotencyKeyInUse&) {
                throw;
            } catch (const std::exception& error) {
                // The store refused the data (or a rule or the store failed on it): find the
                // item, so that it alone is refused and the rest is stored. The pieces carry no
                // idempotency claim: a retry of such a request is decided again.
                logger_(LogLevel::Warning,
                        "the store refused a batch of " + std::to_string(batch.candidates.size()) +
                            " trade(s); isolating the item it cannot hold: " + error.what());
                results.clear();
                split_and_apply(batch, results);
            }
        } catch (const IdempotencyKeyInUse& error) {
            pending.done({IngestStatus::KeyInUse, {}, error.what()});
            return;
        } catch (const CommitOutcomeUnknown& error) {
            logger_(LogLevel::Warning,
                    std::string("store commit outcome unknown: ") + error.what());
            fail(pending, IngestStatus::OutcomeUnknown, error.what());
            return;
        } catch (const StoreUnavailable& error) {
            logger_(LogLevel::Warning, std::string("store unavailable: ") + error.what());
            fail(pending, IngestStatus::Unavailable, error.what());
            return;
        } catch (const std::exception& error) {
            logger_(LogLevel::Error, std::string("store apply failed: ") + error.what());
            fail(pending, IngestStatus::Unavailable, error.what());
            return;
        }
    }
    if (results.size() != batch.candidates.size()) {
        fail(pending, IngestStatus::Unavailable, "store returned a wrong number of results");
        return;
    }
    finish(pending, results.cbegin());
}

void IngestPipeline::split_and_apply(Batch piece, std::vector<ItemResult>& results) {
    if (piece.candidates.size() <= 1) {
        refuse_alone(std::move(piece), results);
        return;
    }
    const std::size_t half = piece.candidates.size() / 2;
    auto [first, second] = split_batch(std::move(piece), half);
    apply_piece(std::move(first), results);
    apply_piece(std::move(second), results);
}

void IngestPipeline::apply_piece(Batch piece, std::vector<ItemResult>& results) {
    try {
        std::vector<ItemResult> applied = timed_apply(piece);
        if (applied.size() != piece.candidates.size())
            throw StoreUnavailable("store returned a wrong number of results");
        results.insert(results.end(), std::make_move_iterator(applied.begin()),
                       std::make_move_iterator(applied.end()));
        return;
    } catch (const StoreUnavailable&) {
        throw;
    } catch (const std::exception&) {
        // Refused again: the item is in this piece.
    }
    split_and_apply(std::move(piece), results);
}

void IngestPipeline::refuse_alone(Batch piece, std::vector<ItemResult>& results) {
    if (!piece.candidates.empty() && !piece.audit_only.empty()) {
        // The audit-only entries may be what the store refuses: try the candidate without them.
        Batch without = piece;
        without.audit_only.clear();
        try {
            std::vector<ItemResult> applied = timed_apply(without);
            if (applied.size() != 1)
                throw StoreUnavailable("store returned a wrong number of results");
            results.push_back(std::move(applied.front()));
            drop_audit(piece.audit_only, "the store refused them next to a trade it took");
            return;
        } catch (const StoreUnavailable&) {
            throw;
        } catch (const std::exception&) {
            // The candidate is refused too.
        }
    }
    if (!piece.candidates.empty()) {
        const Candidate& refused = piece.candidates.front();
        logger_(LogLevel::Error, "the store refused trade " +
                                     storable_text(refused.trade.trade_id, kMaxStorableIdBytes) +
                                     " version " + std::to_string(refused.trade.version) + " (" +
                                     refused.source + " " + refused.reference +
                                     "); it is not stored and is recorded as STORE_REFUSED");
        insert_in_offset_order(piece.audit_only, refusal_audit(refused));
        results.push_back(refusal_result(refused));
        piece.candidates.clear();
    }
    try {
        timed_apply(piece);
        return;
    } catch (const StoreUnavailable&) {
        throw;
    } catch (const std::exception& error) {
        if (piece.audit_only.empty()) throw;
        drop_audit(piece.audit_only, error.what());
    }
    if (!piece.positions.empty()) timed_apply(piece);
}

void IngestPipeline::drop_audit(std::vector<AuditEntry>& entries, const std::string& why) {
    // Never expected (the kernel made their text storable); going on without them beats
    // stalling the stream on them.
    std::string ids;
    for (const AuditEntry& entry : entries) ids += (ids.empty() ? "" : ", ") + entry.trade_id;
    logger_(LogLevel::Error, "the store refused " + std::to_string(entries.size()) +
                                 " audit-only entr(ies), which are dropped (" + ids + "): " + why);
    if (metrics_ != nullptr) metrics_->audit_dropped(entries.size());
    entries.clear();
}

}  // namespace tradestore::kernel
