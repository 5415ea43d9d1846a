// Writes of the PostgreSQL store: apply, remove, expire and job claims, each one
// transaction. On any failure the transaction rolls back and nothing is written.
#include <tradestore/batch_decision.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <unordered_map>

#include "array_literal.h"
#include "commit_outcome.h"
#include "idempotency_steps.h"
#include "postgres_store.h"
#include "rows.h"

namespace tradestore::plugins {

using pg::ArrayLiteral;
using pg::Params;
using pg::Query;
using pg::Step;

namespace {

std::unordered_map<std::string, StoredState> read_state(const pg::Result& result) {
    std::unordered_map<std::string, StoredState> loaded;
    loaded.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
        if (result.is_null(row, pg::kTombstoneColumn)) {
            Trade trade = pg::read_trade(result, row);
            std::string id = trade.trade_id;
            loaded[std::move(id)].row = std::move(trade);
        } else {
            StoredState& state = loaded[std::string(result.text(row, pg::trade_column::kTradeId))];
            state.tombstone = result.integer(row, pg::kTombstoneColumn);
            state.deleted_at =
                from_micros(result.integer(row, pg::trade_column::kLastUpdatedMicros));
        }
    }
    return loaded;
}

// LockPositions' rows: the offset of every key, by the key's place in `keys`.
RecordedPositions read_positions(const pg::Result& result, const std::vector<PartitionKey>& keys) {
    RecordedPositions recorded;
    for (int row = 0; row < result.rows(); ++row) {
        const auto index = static_cast<std::size_t>(result.integer(row, 0) - 1);
        recorded.emplace(keys.at(index), result.integer(row, 1));
    }
    return recorded;
}

// The partitions' keys as the parameters of EnsurePositions and LockPositions.
Params partition_params(const std::vector<PartitionKey>& keys) {
    ArrayLiteral sources, streams, partitions;
    for (const PartitionKey& key : keys) {
        sources.add(key.source);
        streams.add(key.stream);
        partitions.add(static_cast<std::int64_t>(key.partition));
    }
    Params params;
    params.text(sources.take()).text(streams.take()).text(partitions.take());
    return params;
}

// The plan's positions (one per partition, in key order) as UpsertPositions' parameters.
Params position_params(const std::vector<SourcePosition>& positions) {
    ArrayLiteral sources, streams, partitions, offsets;
    for (const SourcePosition& position : positions) {
        sources.add(position.source);
        streams.add(position.stream);
        partitions.add(static_cast<std::int64_t>(position.partition));
        offsets.add(position.offset);
    }
    Params params;
    params.text(sources.take()).text(streams.take()).text(partitions.take()).text(offsets.take());
    return params;
}

// InsertAudit's parameters: the entries, and for an accepted decision the version it stores.
Params audit_params(const std::vector<AuditRow>& rows, std::int64_t now_micros,
                    Date business_date) {
    ArrayLiteral ids, actions, statuses, codes, messages, received, stored, sources, references;
    ArrayLiteral recorded, counterparties, books, maturities, created;
    for (const AuditRow& row : rows) {
        ids.add(row.trade_id);
        actions.add(to_string(row.action));
        statuses.add(row.success ? "success" : "failed");
        codes.add(row.reason_codes);
        messages.add(row.message);
        received.add(row.received_version);
        stored.add(row.stored_version);
        sources.add(row.source);
        references.add(row.reference);
        if (const Trade* version = row.version) {
            recorded.add(to_micros(version->last_updated));
            counterparties.add(version->counter_party_id);
            books.add(version->book_id);
            maturities.add(pg::to_days(version->maturity_date));
            created.add(pg::to_days(version->created_date));
        } else {
            recorded.add_null();
            counterparties.add_null();
            books.add_null();
            maturities.add_null();
            created.add_null();
        }
    }
    Params params;
    params.text(ids.take())
        .text(actions.take())
        .text(statuses.take())
        .text(codes.take())
        .text(messages.take())
        .text(received.take())
        .text(stored.take())
        .text(sources.take())
        .text(references.take())
        .integer(now_micros)
        .integer(pg::to_days(business_date))
        .text(recorded.take())
        .text(counterparties.take())
        .text(books.take())
        .text(maturities.take())
        .text(created.take());
    return params;
}

// The statements of round trip 2, with the parameters they point to: every write of the
// plan, set-based, then COMMIT (and, with read replicas, the WAL position after it).
class PlanWrites {
  public:
    // `queue_changes`: the version entries also go into the change outbox. `before_commit`:
    // one more write of the transaction (the idempotency keys' answers).
    // `read_commit_position`: the WAL position after COMMIT is read last (for read replicas).
    PlanWrites(const BatchPlan& plan, Date business_date, std::int64_t now_micros,
               bool queue_changes, std::optional<Step> before_commit, bool read_commit_position) {
        // The books each id left in this batch (usually none), as one text[] literal per id.
        std::unordered_map<std::string_view, ArrayLiteral> left;
        for (const BookDeparture& departure : plan.departures) {
            left[departure.trade_id].add(departure.book_id);
        }
        // One row per id, the last accepted version: new ids inserted, existing ones updated;
        // ids that end the batch deleted lose their row and get a tombstone instead.
        ArrayLiteral columns[2][8];
        ArrayLiteral restored;
        ArrayLiteral gone_rows, deleted_ids, deleted_versions, deleted_at, left_books, left_ids;
        for (const TradeWrite& write : plan.writes) {
            const Trade& trade = *plan.results[write.candidate].stored;
            if (write.deletes) {
                if (write.existed) gone_rows.add(trade.trade_id);
                deleted_ids.add(trade.trade_id);
                deleted_versions.add(trade.version);
                deleted_at.add(to_micros(trade.last_updated));
                for (const BookDeparture& departure : plan.departures) {
                    if (departure.trade_id != trade.trade_id) continue;
                    left_books.add(departure.book_id);
                    left_ids.add(departure.trade_id);
                }
                continue;
            }
            ArrayLiteral* column = columns[write.existed ? 1 : 0];
            column[0].add(trade.trade_id);
            column[1].add(trade.version);
            column[2].add(trade.counter_party_id);
            column[3].add(trade.book_id);
            column[4].add(pg::to_days(trade.maturity_date));
            column[5].add(pg::to_days(trade.created_date));
            column[6].add(to_micros(trade.last_updated));
            const auto books = left.empty() ? left.end() : left.find(trade.trade_id);
            if (books == left.end()) {
                column[7].add_null();
            } else {
                column[7].add(books->second.take());
            }
            if (write.restores) restored.add(trade.trade_id);
        }
        constexpr Query kTradeQueries[2] = {Query::InsertTrades, Query::UpsertTrades};
        for (int kind = 0; kind < 2; ++kind) {
            if (columns[kind][0].empty()) continue;
            for (ArrayLiteral& column : columns[kind]) trades_[kind].text(column.take());
            steps_.push_back({kTradeQueries[kind], &trades_[kind]});
        }
        if (!restored.empty()) {
            tombstones_.text(restored.take());
            steps_.push_back({Query::DeleteTombstones, &tombstones_});
        }
        if (!deleted_ids.empty()) {
            deletes_.text(gone_rows.take())
                .text(deleted_ids.take())
                .text(deleted_versions.take())
                .text(deleted_at.take())
                .text(left_books.take())
                .text(left_ids.take());
            steps_.push_back({Query::DeleteTrades, &deletes_});
        }
        if (!plan.audit.empty()) {
            audit_ = audit_params(plan.audit, now_micros, business_date);
            steps_.push_back(
                {queue_changes ? Query::InsertAuditQueueChanges : Query::InsertAudit, &audit_});
        }
        if (!plan.positions.empty()) {
            positions_ = position_params(plan.positions);
            steps_.push_back({Query::UpsertPositions, &positions_});
        }
        if (before_commit) steps_.push_back(*before_commit);
        steps_.push_back({Query::Commit});
        commit_step_ = steps_.size() - 1;
        if (read_commit_position) steps_.push_back({Query::WalPosition});
    }
    PlanWrites(const PlanWrites&) = delete;
    PlanWrites& operator=(const PlanWrites&) = delete;

    std::span<const Step> steps() const noexcept { return steps_; }
    std::size_t commit_step() const noexcept { return commit_step_; }

  private:
    Params trades_[2];
    Params tombstones_;
    Params deletes_;
    Params audit_;
    Params positions_;
    std::vector<Step> steps_;
    std::size_t commit_step_ = 0;
};

}  // namespace

// What apply() computes from the batch alone, once, however often the transaction runs.
struct PostgresStore::ApplyInput {
    std::vector<PartitionKey> partitions;  // partitions_of(batch)
    Params partition_keys;
    Params lock_keys;
    Params ids;
};

// How far one run of apply's transaction got: once COMMIT is sent, its results are what
// committed if the transaction did.
struct PostgresStore::ApplyAttempt {
    std::string xid;                 // pg_current_xact_id(), read in round trip 1
    std::string server_started;      // pg_postmaster_start_time() (micros), read with it
    std::optional<Params> evidence;  // an audit row it writes, as AuditEvidence's parameters
    std::vector<ItemResult> results;
    bool commit_sent = false;
    std::size_t commit_step = 0;  // COMMIT's place in round trip 2
};

namespace {

// The WAL position a WalPosition step read, as every result's commit_position.
void set_commit_position(std::vector<ItemResult>& results, std::string_view lsn) {
    const std::uint64_t position = parse_commit_position(lsn).value_or(0);
    for (ItemResult& result : results) result.commit_position = position;
}

}  // namespace

template <typename Write>
auto PostgresStore::write(Write&& body) {
    for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();
        try {
            return body(*lease);
        } catch (const pg::Unavailable& error) {
            if (!error.conflict() || attempt >= options_.conflict_attempts) throw;
        }
    }
}

std::vector<ItemResult> PostgresStore::apply(const Batch& batch, std::span<const Rule* const> rules,
                                             Date business_date) {
    if (batch.candidates.empty() && batch.positions.empty() && batch.audit_only.empty() &&
        batch.idempotency.empty()) {
        return {};
    }

    ApplyInput input;
    input.partitions = partitions_of(batch);
    if (!input.partitions.empty()) input.partition_keys = partition_params(input.partitions);
    if (!batch.candidates.empty()) {
        std::vector<std::string_view> ids;
        ids.reserve(batch.candidates.size());
        for (const Candidate& candidate : batch.candidates) {
            ids.push_back(candidate.trade.trade_id);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        std::vector<std::int64_t> keys;
        keys.reserve(ids.size());
        ArrayLiteral id_array;
        for (const std::string_view id : ids) {
            keys.push_back(pg::lock_key(id));
            id_array.add(id);
        }
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        ArrayLiteral key_array;
        for (const std::int64_t key : keys) key_array.add(key);
        input.lock_keys.text(key_array.take());
        input.ids.text(id_array.take());
    }

    // A conflict aborts the whole transaction on the server: run it again. A lost connection
    // before COMMIT was sent cannot have committed anything: run it again, once, on a fresh
    // connection. After COMMIT was sent, ask the server whether it committed: if it did, its
    // results are what committed; if it aborted, it is as if COMMIT had never been sent.
    int lost = 0;
    for (int attempt = 1;; ++attempt) {
        ApplyAttempt run;
        try {
            apply_once(batch, rules, business_date, input, run);
            return std::move(run.results);
        } catch (const pg::Unavailable& error) {
            // Only a COMMIT whose answer is missing is in doubt: an error the server sent for
            // a step before it means COMMIT never ran.
            const bool commit_ran =
                run.commit_sent &&
                !(error.server_failed_step() && *error.server_failed_step() < run.commit_step);
            if (error.connection_lost() && commit_ran) {
                switch (commit_outcome(run)) {
                    case CommitOutcome::Committed:
                        return std::move(run.results);
                    case CommitOutcome::Aborted:
                        if (++lost == 1) continue;
                        throw;
                    case CommitOutcome::Unknown:
                        throw CommitOutcomeUnknown(
                            std::string(error.what()) + "; whether transaction " + run.xid +
                            " committed could not be learned within " +
                            std::to_string(options_.commit_outcome_timeout.count()) + " ms");
                }
            }
            const bool again = (error.conflict() && attempt < options_.conflict_attempts) ||
                               (error.connection_lost() && !commit_ran && ++lost == 1);
            if (!again) throw;
        }
    }
}

PostgresStore::CommitOutcome PostgresStore::commit_outcome(ApplyAttempt& attempt) {
    using std::chrono::milliseconds;
    const pg::Clock::time_point until = pg::Clock::now() + options_.commit_outcome_timeout;
    // An attempt begun within the budget may finish one connect_timeout after it, never later:
    // a question in flight when the link stalls must not wait out a whole statement_timeout.
    const pg::Clock::time_point give_up_at = until + options_.pool.connection.connect_timeout;
    Params params;
    params.text(attempt.xid);
    milliseconds pause{20};
    // Not a pooled connection: those may have been cut with the one that was lost.
    std::optional<pg::Connection> db;
    for (;;) {
        try {
            if (!db || db->broken()) db.emplace(options_.pool.connection);
            const pg::Result status = db->run(Query::TransactionStatus, params, give_up_at);
            const bool restarted = status.text(0, 1) != attempt.server_started;
            const auto committed = [&] {
                // Asked after the commit, so at or after its record.
                if (replicas_) {
                    set_commit_position(
                        attempt.results,
                        db->run(Query::WalPosition, Params{}, give_up_at).text(0, 0));
                }
                return CommitOutcome::Committed;
            };
            switch (pg::commit_verdict(status.text(0, 0), restarted)) {
                case pg::CommitVerdict::Committed:
                    return committed();
                case pg::CommitVerdict::Aborted:
                    return CommitOutcome::Aborted;
                case pg::CommitVerdict::CheckEvidence:
                    if (!attempt.evidence) return CommitOutcome::Unknown;
                    return db->run(Query::AuditEvidence, *attempt.evidence, give_up_at)
                                       .integer(0, 0) > 0
                               ? committed()
                               : CommitOutcome::Aborted;
                case pg::CommitVerdict::Unknown:
                    return CommitOutcome::Unknown;
                case pg::CommitVerdict::AskAgain:
                    break;
            }
        } catch (const pg::Unavailable&) {
            db.reset();  // unreachable for now: ask again
        }
        const auto left = std::chrono::duration_cast<milliseconds>(until - pg::Clock::now());
        if (left <= milliseconds{0}) return CommitOutcome::Unknown;
        std::this_thread::sleep_for(std::min(pause, left));
        pause = std::min(pause * 2, milliseconds{500});
    }
}

void PostgresStore::apply_once(const Batch& batch, std::span<const Rule* const> rules,
                               Date business_date, const ApplyInput& input, ApplyAttempt& attempt) {
    auto lease = pool_.acquire();
    pg::Connection& db = *lease;

    // Round trip 1: the transaction's id, the partitions' position rows (created if missing,
    // then locked, in key order), then every trade id's lock (sorted, so batches cannot
    // deadlock), then what is stored, in a statement that starts after the locks are held.
    const bool positioned = !input.partitions.empty();
    const bool candidates = !batch.candidates.empty();
    std::vector<Step> reads{{Query::Begin}, {Query::TransactionId}, {Query::KeyLookupsOnly}};
    const std::size_t positions_step = reads.size() + 1;  // LockPositions' rows
    if (positioned) {
        reads.push_back({Query::EnsurePositions, &input.partition_keys});
        reads.push_back({Query::LockPositions, &input.partition_keys});
    }
    std::size_t state_step = 0;
    if (candidates) reads.push_back({Query::LockKeys, &input.lock_keys});
    const std::size_t clock_step = reads.size();
    reads.push_back({Query::Clock});
    if (candidates) {
        state_step = reads.size();
        reads.push_back({Query::ReadState, &input.ids});
    }
    // The batch's idempotency keys are claimed after the locks: a key in use ends it here.
    pg::IdempotencySteps idempotency(batch, now_utc());
    if (!idempotency.empty()) reads.push_back(idempotency.claim());
    const std::vector<pg::Result> read = db.pipeline(reads);
    if (!idempotency.empty()) idempotency.check(read.back());
    attempt.xid = read[1].text(0, 0);
    attempt.server_started = read[1].text(0, 1);
    const RecordedPositions recorded =
        positioned ? read_positions(read[positions_step], input.partitions) : RecordedPositions{};
    std::unordered_map<std::string, StoredState> loaded;
    if (candidates) loaded = read_state(read[state_step]);

    const Timestamp now = from_micros(read[clock_step].integer(0, 0));
    BatchPlan plan = decide_batch(
        batch, rules, business_date, now, recorded, [&loaded](const std::string& trade_id) {
            const auto found = loaded.find(trade_id);
            return found == loaded.end() ? StoredState{} : std::move(found->second);
        });

    // Round trip 2: every write, set-based, and COMMIT.
    const std::int64_t now_micros = to_micros(now);
    std::optional<Step> answers;
    if (!idempotency.empty()) answers = idempotency.answer(plan.results);
    const PlanWrites writes(plan, business_date, now_micros, options_.change_feed, answers,
                            replicas_ != nullptr);
    if (!plan.audit.empty()) {
        const AuditRow& row = plan.audit.front();
        attempt.evidence.emplace();
        attempt.evidence->text(std::string(row.trade_id))
            .text(std::string(row.source))
            .text(std::string(row.reference))
            .integer(now_micros);
    }
    attempt.results = std::move(plan.results);
    attempt.commit_sent = true;
    attempt.commit_step = writes.commit_step();
    const std::vector<pg::Result> written = db.pipeline(writes.steps());
    if (replicas_) set_commit_position(attempt.results, written.back().text(0, 0));
}

bool PostgresStore::remove(const std::string& trade_id, const std::string& source,
                           const std::string& reference) {
    // A delete candidate through apply(), with no rules and, outside the ingest path, no
    // business date: the UTC calendar date of the delete stands in.
    Batch batch;
    batch.candidates.push_back(delete_candidate(trade_id, source, reference));
    const Date today = std::chrono::floor<std::chrono::days>(now_utc());
    return apply(batch, {}, today).front().outcome == Outcome::Deleted;
}

std::int64_t PostgresStore::expire(Date business_date, const std::string& source) {
    Params params;
    params.text(format_date(business_date)).text(source).integer(to_micros(now_utc()));
    const Query query = options_.change_feed ? Query::ExpireQueueChanges : Query::Expire;
    return write([&](pg::Connection& db) { return db.run(query, params).affected(); });
}

void PostgresStore::mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) {
    if (audit_ids.empty()) return;
    ArrayLiteral ids;
    for (const std::int64_t id : audit_ids) ids.add(id);
    Params params;
    params.text(ids.take());
    write([&](pg::Connection& db) { db.run(Query::MarkAuditShipped, params); });
}

void PostgresStore::mark_changes_published(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    ArrayLiteral literal;
    for (const std::int64_t id : ids) literal.add(id);
    Params params;
    params.text(literal.take());
    write([&](pg::Connection& db) { db.run(Query::MarkChangesPublished, params); });
}

std::int64_t PostgresStore::prune_shipped_audit(Timestamp older_than) {
    return prune_in_chunks(Query::PruneShippedAudit, older_than);
}

void PostgresStore::append_events(const std::vector<SystemEvent>& events) {
    if (events.empty()) return;
    ArrayLiteral ids, types, severities, data, micros;
    for (const SystemEvent& event : events) {
        ids.add(event.id);
        types.add(event.event_type);
        severities.add(to_string(event.severity));
        data.add(event.data_json);
        micros.add(to_micros(event.timestamp));
    }
    Params params;
    params.text(ids.take())
        .text(types.take())
        .text(severities.take())
        .text(data.take())
        .text(micros.take());
    write([&](pg::Connection& db) { db.run(Query::AppendEvents, params); });
}

void PostgresStore::mark_events_shipped(const std::vector<std::string>& event_ids) {
    if (event_ids.empty()) return;
    ArrayLiteral ids;
    for (const std::string& id : event_ids) ids.add(id);
    Params params;
    params.text(ids.take());
    write([&](pg::Connection& db) { db.run(Query::MarkEventsShipped, params); });
}

std::int64_t PostgresStore::prune_shipped_events(Timestamp older_than) {
    return prune_in_chunks(Query::PruneShippedEvents, older_than);
}

std::int64_t PostgresStore::prune_history(Timestamp older_than) {
    return prune_in_chunks(Query::PruneHistory, older_than);
}

std::int64_t PostgresStore::prune_in_chunks(pg::Query prune_query, Timestamp older_than) {
    // Rows deleted per statement (each its own transaction).
    constexpr std::int64_t kChunk = 10'000;
    // Beyond what a timestamptz holds: no cut-off at all, or nothing is older.
    constexpr std::int64_t kLatest = 9'000'000'000'000'000'000;   // ~ year 287,000
    constexpr std::int64_t kEarliest = -200'000'000'000'000'000;  // ~ 4400 BC
    const std::int64_t cutoff = to_micros(older_than);
    if (cutoff <= kEarliest) return 0;
    Params params;
    if (cutoff >= kLatest) {
        params.null();
    } else {
        params.integer(cutoff);
    }
    params.integer(kChunk);
    std::int64_t pruned = 0;
    for (;;) {
        const std::int64_t deleted =
            write([&](pg::Connection& db) { return db.run(prune_query, params).integer(0, 0); });
        pruned += deleted;
        if (deleted < kChunk) return pruned;
    }
}

std::int64_t PostgresStore::prune_idempotency_keys(Timestamp now) {
    return prune_in_chunks(Query::PruneIdempotencyKeys, now);
}

bool PostgresStore::claim_job_run(const std::string& job, std::int64_t period) {
    Params params;
    params.text(job).integer(period).text(instance_name_);
    return write(
        [&](pg::Connection& db) { return db.run(Query::ClaimJobRun, params).rows() == 1; });
}

}  // namespace tradestore::plugins
