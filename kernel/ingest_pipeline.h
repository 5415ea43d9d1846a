// The kernel's ingest path. Sources submit batches; writer threads take whatever has queued
// up (up to a limit) and apply it to the store in one transaction — group commit — so many
// concurrent single-trade requests share one commit. Outcomes are those of applying the
// batches one after another in arrival order, exactly as without coalescing.
//
// Interactive batches (a REST request) and bulk ones (Batch::bulk: a Kafka backlog) wait in
// two queues. A free writer takes interactive work first; bulk work only while fewer than
// max(1, writers - 1) writers apply bulk, so with two writers or more one is always free for
// a request however deep the backlog; and while requests keep arriving (one within the last
// second) a single writer applies bulk, so that a backlog does not take the CPU that the
// requests, and the reads beside them, need; that writer also rests after each bulk group so
// that the backlog takes at most `backlog_share_percent` of the time (on a machine whose
// cores the store shares, the requests' latency follows the CPU the backlog leaves free).
// A group never mixes the two. Requests take at most `request_writers` writers at once (two
// by default: one group commits while the next gathers); more would split the same requests
// into smaller groups, each paying a transaction's fixed cost.
#pragma once

#include <tradestore/host.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "ingest_metrics.h"

namespace tradestore::kernel {

struct IngestOptions {
    std::size_t max_batch_candidates = 1000;  // per store transaction
    std::size_t writer_threads = 1;
    std::size_t request_writers = 2;  // most writers applying interactive groups at once
    // While requests arrive: the most of the time (percent) bulk groups may take.
    std::size_t backlog_share_percent = 100;
};

using IngestLogger = std::function<void(LogLevel, const std::string&)>;
// Told after every store transaction whether the store took it (true) or was unavailable.
using StoreStateListener = std::function<void(bool up, const std::string& error)>;

class IngestPipeline final : public IngestSink {
  public:
    IngestPipeline(std::shared_ptr<Store> store, std::vector<const Rule*> rules,
                   const BusinessClock& clock, IngestOptions options, IngestLogger logger,
                   IngestMetrics* metrics = nullptr);
    ~IngestPipeline() override;

    void submit(Batch batch, std::function<void(IngestResult)> done) override;
    std::optional<std::int64_t> position(const std::string& source, const std::string& stream,
                                         std::int32_t partition) override {
        return store_->position(source, stream, partition);
    }

    // Set before start().
    void on_store_state(StoreStateListener listener) { store_state_ = std::move(listener); }

    void start();
    // Takes no new work, applies everything already queued, then joins the writers.
    void stop();

  private:
    struct Pending {
        Batch batch;
        std::vector<std::size_t> store_index;  // per candidate: index into batch, or npos
        std::vector<ItemResult> results;       // pre-filled for shape-rejected candidates
        std::function<void(IngestResult)> done;
    };

    void writer_loop();
    // With mutex_ held: the queue a free writer takes from now, or nullptr.
    std::deque<Pending>* next_queue();
    bool requests_arriving() const;
    void apply_group(std::vector<Pending>& group);
    // Applies one batch on its own; if the store refuses it, finds and refuses the item.
    void apply_alone(Pending& pending);
    // The batch failed for its data: splits it in two, applies each half (splitting again
    // while a half fails) and appends every candidate's result to `results`, in order.
    // Throws StoreUnavailable (CommitOutcomeUnknown included) and what it cannot isolate.
    void split_and_apply(Batch piece, std::vector<ItemResult>& results);
    void apply_piece(Batch piece, std::vector<ItemResult>& results);
    // A piece of at most one candidate that the store refused: the candidate is tried without
    // the piece's audit-only entries, else replaced by a STORE_REFUSED audit entry; audit-only
    // entries the store refuses are dropped.
    void refuse_alone(Batch piece, std::vector<ItemResult>& results);
    // Logs and counts audit-only entries left out because the store refused them.
    void drop_audit(std::vector<AuditEntry>& entries, const std::string& why);
    void finish(Pending& pending, std::vector<ItemResult>::const_iterator results);
    void fail(Pending& pending, IngestStatus status, const std::string& error);
    // Applies the batch, recording the transaction's size and latency.
    std::vector<ItemResult> timed_apply(const Batch& batch);

    std::shared_ptr<Store> store_;
    std::vector<const Rule*> rules_;
    const BusinessClock& clock_;
    IngestOptions options_;
    IngestLogger logger_;
    IngestMetrics* metrics_;
    StoreStateListener store_state_;

    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::deque<Pending> interactive_;
    std::deque<Pending> bulk_;
    std::size_t bulk_writers_ = 0;         // writers applying a bulk group now
    std::size_t interactive_writers_ = 0;  // writers applying an interactive group now
    std::chrono::steady_clock::time_point last_interactive_{};  // an interactive batch came
    // While requests arrive, no bulk group starts before this (see writer_loop).
    std::chrono::steady_clock::time_point bulk_not_before_{};
    bool stopping_ = false;
    std::vector<std::jthread> writers_;
};

}  // namespace tradestore::kernel
