// Writes of the PostgreSQL store: apply, remove, expire and job claims, each one
// transaction. On any failure the transaction rolls back and nothing is written.
#include <tradestore/audit_wording.h>
#include <tradestore/decision.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>

#include "array_literal.h"
#include "idempotency_steps.h"
#include "postgres_store.h"
#include "rows.h"

namespace tradestore::plugins {

using pg::ArrayLiteral;
using pg::Params;
using pg::Query;
using pg::Step;

namespace {

// A trade id's state as read at the start of the transaction.
struct Loaded {
    std::optional<Trade> row;
    std::optional<std::int64_t> tombstone;
};

// What apply() knows about one trade id during its transaction: the row as it stands after
// the batch's earlier candidates (pointing into their results), or as loaded.
struct IdState {
    const Trade* row = nullptr;  // nullptr: no live row
    std::optional<std::int64_t> tombstone;
};

// The audit rows of one apply(), column by column, in the order they are decided.
class AuditColumns {
  public:
    void add(std::string_view trade_id, AuditAction action, bool success,
             std::string_view reason_codes, std::string_view message,
             std::optional<std::int64_t> received_version,
             std::optional<std::int64_t> stored_version, std::string_view source,
             std::string_view reference) {
        ids_.add(trade_id);
        actions_.add(to_string(action));
        statuses_.add(success ? "success" : "failed");
        codes_.add(reason_codes);
        messages_.add(message);
        received_.add(received_version);
        stored_.add(stored_version);
        sources_.add(source);
        references_.add(reference);
    }
    bool empty() const noexcept { return ids_.empty(); }

    // The parameters of Query::InsertAudit; the builder is left empty.
    Params take(std::int64_t now_micros) {
        Params params;
        params.text(ids_.take())
            .text(actions_.take())
            .text(statuses_.take())
            .text(codes_.take())
            .text(messages_.take())
            .text(received_.take())
            .text(stored_.take())
            .text(sources_.take())
            .text(references_.take())
            .integer(now_micros);
        return params;
    }

  private:
    ArrayLiteral ids_, actions_, statuses_, codes_, messages_, received_, stored_, sources_,
        references_;
};

// Audit entries that record no decision (dead letters, for instance) go first, as in the
// SQLite store; the store assigns their ids and timestamps.
void add_audit_only(AuditColumns& audit, const std::vector<AuditEntry>& entries) {
    std::string codes;
    for (const AuditEntry& entry : entries) {
        codes.clear();
        for (const std::string& code : entry.reason_codes) {
            if (!codes.empty()) codes += ',';
            codes += code;
        }
        audit.add(entry.trade_id, entry.action, entry.success, codes, entry.message,
                  entry.received_version, entry.stored_version, entry.source, entry.reference);
    }
}

std::unordered_map<std::string, Loaded> read_state(const pg::Result& result) {
    std::unordered_map<std::string, Loaded> loaded;
    loaded.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
        if (result.is_null(row, pg::kTombstoneColumn)) {
            Trade trade = pg::read_trade(result, row);
            std::string id = trade.trade_id;
            loaded[std::move(id)].row = std::move(trade);
        } else {
            loaded[std::string(result.text(row, pg::trade_column::kTradeId))].tombstone =
                result.integer(row, pg::kTombstoneColumn);
        }
    }
    return loaded;
}

// The batch's positions, one per (source, stream, partition) with the highest offset, in
// key order: one statement cannot update a row twice, and a fixed order avoids deadlocks.
Params position_params(const std::vector<SourcePosition>& positions) {
    std::map<std::tuple<std::string_view, std::string_view, std::int32_t>, std::int64_t> highest;
    for (const SourcePosition& position : positions) {
        auto [it, inserted] = highest.try_emplace(
            {position.source, position.stream, position.partition}, position.offset);
        if (!inserted) it->second = std::max(it->second, position.offset);
    }
    ArrayLiteral sources, streams, partitions, offsets;
    for (const auto& [key, offset] : highest) {
        sources.add(std::get<0>(key));
        streams.add(std::get<1>(key));
        partitions.add(static_cast<std::int64_t>(std::get<2>(key)));
        offsets.add(offset);
    }
    Params params;
    params.text(sources.take()).text(streams.take()).text(partitions.take()).text(offsets.take());
    return params;
}

}  // namespace

// What apply() computes from the batch alone, once, however often the transaction runs.
struct PostgresStore::ApplyInput {
    Params lock_keys;
    Params ids;
    Params positions;
};

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
    {
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
    if (!batch.positions.empty()) input.positions = position_params(batch.positions);

    // A conflict aborts the whole transaction on the server: run it again. A lost connection
    // before COMMIT was sent cannot have committed anything: run it again, once, on a fresh
    // connection. After COMMIT was sent, whether it committed is unknown: report it.
    int lost = 0;
    for (int attempt = 1;; ++attempt) {
        bool commit_sent = false;
        try {
            return apply_once(batch, rules, business_date, input, commit_sent);
        } catch (const pg::Unavailable& error) {
            const bool again = (error.conflict() && attempt < options_.conflict_attempts) ||
                               (error.connection_lost() && !commit_sent && ++lost == 1);
            if (!again) throw;
        }
    }
}

std::vector<ItemResult> PostgresStore::apply_once(const Batch& batch,
                                                  std::span<const Rule* const> rules,
                                                  Date business_date, const ApplyInput& input,
                                                  bool& commit_sent) {
    auto lease = pool_.acquire();
    pg::Connection& db = *lease;

    AuditColumns audit_columns;
    add_audit_only(audit_columns, batch.audit_only);
    pg::IdempotencySteps idempotency(batch, pg::now_utc());

    if (batch.candidates.empty()) {  // positions and audit-only entries: one round trip
        Params audit = audit_columns.take(pg::to_micros(pg::now_utc()));
        std::vector<Step> steps{{Query::Begin}};
        if (!idempotency.empty()) {  // claims first, on their own: a refused one ends here
            const Step claim[] = {{Query::Begin}, idempotency.claim()};
            idempotency.check(db.pipeline(claim)[1]);
            steps.clear();
        }
        if (!batch.audit_only.empty()) steps.push_back({Query::InsertAudit, &audit});
        if (!batch.positions.empty()) steps.push_back({Query::UpsertPositions, &input.positions});
        if (!idempotency.empty()) steps.push_back(idempotency.answer({}));
        steps.push_back({Query::Commit});
        commit_sent = true;
        db.pipeline(steps);
        return {};
    }

    // Round trip 1: lock every id of the batch (sorted, so batches cannot deadlock), then
    // read what is stored, in a statement that starts after the locks are held.
    // The batch's idempotency keys are claimed in the same round trip, after the locks.
    std::vector<Step> reads{
        {Query::Begin}, {Query::LockKeys, &input.lock_keys}, {Query::ReadState, &input.ids}};
    if (!idempotency.empty()) reads.push_back(idempotency.claim());
    const std::vector<pg::Result> read_results = db.pipeline(reads);
    if (!idempotency.empty()) idempotency.check(read_results[3]);
    const std::unordered_map<std::string, Loaded> loaded = read_state(read_results[2]);

    // The rule chain, candidate by candidate, each against the result of the one before.
    const Timestamp now = pg::now_utc();
    std::vector<ItemResult> results(batch.candidates.size());  // never reallocated: IdState
    std::unordered_map<std::string_view, IdState> ids;
    ids.reserve(batch.candidates.size());
    std::map<std::string_view, std::size_t> last_accepted;  // id -> candidate, in id order
    std::vector<std::string_view> restored;                 // ids whose tombstone goes

    std::string codes;
    std::string message;
    for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
        const Candidate& candidate = batch.candidates[i];
        const Trade& incoming = candidate.trade;
        ItemResult& result = results[i];

        auto [it, first_seen] = ids.try_emplace(incoming.trade_id);
        IdState& state = it->second;
        if (first_seen) {
            if (const auto found = loaded.find(incoming.trade_id); found != loaded.end()) {
                if (found->second.row) {
                    state.row = &*found->second.row;
                } else {
                    state.tombstone = found->second.tombstone;
                }
            }
        }

        Decision decision =
            decide(rules, RuleInput{incoming, state.row, state.tombstone, business_date});
        if (state.row != nullptr) result.previous_version = state.row->version;
        describe_for_audit(candidate.trade, decision, result.previous_version, codes, message);

        if (decision.outcome == Outcome::Rejected) {
            if (state.row != nullptr) result.stored = *state.row;
        } else {
            Trade& stored = result.stored.emplace(incoming);
            stored.expired = false;  // owned by the server
            stored.last_updated = now;
            last_accepted[it->first] = i;
            if (state.tombstone) {
                restored.push_back(it->first);
                state.tombstone.reset();
            }
        }
        state.row = result.stored ? &*result.stored : nullptr;

        audit_columns.add(incoming.trade_id, audit_action(decision.outcome),
                          decision.outcome != Outcome::Rejected, codes, message, incoming.version,
                          result.previous_version, candidate.source, candidate.reference);

        result.outcome = decision.outcome;
        result.reasons = std::move(decision.reasons);
        // The store cannot tell a candidate's offset; sources skip replays using position().
        result.skipped_as_replay = false;
    }

    // Round trip 2: every write, set-based, and COMMIT.
    const std::int64_t now_micros = pg::to_micros(now);
    // One row per id, the last accepted version: new ids inserted, existing ones updated.
    ArrayLiteral columns[2][6];
    for (const auto& [id, index] : last_accepted) {
        const Trade& trade = *results[index].stored;
        const auto found = loaded.find(std::string(id));
        ArrayLiteral* column = columns[found != loaded.end() && found->second.row ? 1 : 0];
        column[0].add(trade.trade_id);
        column[1].add(trade.version);
        column[2].add(trade.counter_party_id);
        column[3].add(trade.book_id);
        column[4].add(pg::to_days(trade.maturity_date));
        column[5].add(pg::to_days(trade.created_date));
    }
    const bool inserts = !columns[0][0].empty();
    const bool updates = !columns[1][0].empty();
    Params trades[2];
    for (int kind = 0; kind < 2; ++kind) {
        if (columns[kind][0].empty()) continue;
        for (ArrayLiteral& column : columns[kind]) trades[kind].text(column.take());
        trades[kind].integer(now_micros);
    }
    Params tombstones;
    if (!restored.empty()) {
        ArrayLiteral restored_ids;
        for (const std::string_view id : restored) restored_ids.add(id);
        tombstones.text(restored_ids.take());
    }
    Params audit = audit_columns.take(now_micros);

    std::vector<Step> writes;
    writes.reserve(5);
    if (inserts) writes.push_back({Query::InsertTrades, &trades[0]});
    if (updates) writes.push_back({Query::UpsertTrades, &trades[1]});
    if (!restored.empty()) writes.push_back({Query::DeleteTombstones, &tombstones});
    writes.push_back({Query::InsertAudit, &audit});
    if (!batch.positions.empty()) writes.push_back({Query::UpsertPositions, &input.positions});
    if (!idempotency.empty()) writes.push_back(idempotency.answer(results));
    writes.push_back({Query::Commit});
    commit_sent = true;
    db.pipeline(writes);
    return results;
}

bool PostgresStore::remove(const std::string& trade_id, const std::string& source,
                           const std::string& reference) {
    Params key;
    key.integer(pg::lock_key(trade_id));
    Params params;
    params.text(trade_id).text(source).text(reference).integer(pg::to_micros(pg::now_utc()));
    // One round trip: the id's lock (as apply takes it), then delete, tombstone and audit in
    // one statement that starts after the lock is held.
    const Step steps[] = {
        {Query::Begin}, {Query::LockKey, &key}, {Query::DeleteTrade, &params}, {Query::Commit}};
    return write([&](pg::Connection& db) { return db.pipeline(steps)[2].rows() == 1; });
}

std::int64_t PostgresStore::expire(Date business_date, const std::string& source) {
    Params params;
    params.text(format_date(business_date)).text(source).integer(pg::to_micros(pg::now_utc()));
    return write([&](pg::Connection& db) { return db.run(Query::Expire, params).affected(); });
}

void PostgresStore::mark_audit_shipped(const std::vector<std::int64_t>& audit_ids) {
    if (audit_ids.empty()) return;
    ArrayLiteral ids;
    for (const std::int64_t id : audit_ids) ids.add(id);
    Params params;
    params.text(ids.take());
    write([&](pg::Connection& db) { db.run(Query::MarkAuditShipped, params); });
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
        micros.add(pg::to_micros(event.timestamp));
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

std::int64_t PostgresStore::prune_in_chunks(pg::Query prune_query, Timestamp older_than) {
    // Rows deleted per statement (each its own transaction).
    constexpr std::int64_t kChunk = 10'000;
    // Beyond what a timestamptz holds: no cut-off at all, or nothing is older.
    constexpr std::int64_t kLatest = 9'000'000'000'000'000'000;   // ~ year 287,000
    constexpr std::int64_t kEarliest = -200'000'000'000'000'000;  // ~ 4400 BC
    const std::int64_t cutoff = pg::to_micros(older_than);
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
