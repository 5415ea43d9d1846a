// The decision loop of Store::apply, written once for every store: the replay check against
// the recorded positions, the rule chain with its version and tombstone guards, candidate by
// candidate against the result of the one before, and the audit rows in decision order. A
// store locks and reads (positions first, then trade ids), calls decide_batch(), and writes
// what the plan says, all in one transaction.
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tradestore/audit_wording.h"
#include "tradestore/decision.h"
#include "tradestore/history.h"
#include "tradestore/store.h"

namespace tradestore {

struct PartitionKey {
    std::string source;
    std::string stream;
    std::int32_t partition = 0;

    auto operator<=>(const PartitionKey&) const = default;
    bool operator==(const PartitionKey&) const = default;
};

// The last applied offset per partition, as recorded; a partition absent has none.
using RecordedPositions = std::map<PartitionKey, std::int64_t>;

// Every partition the batch names (its candidates' and audit-only entries' origins and its
// positions), in key order: the rows a store locks, in that order, before anything else.
inline std::vector<PartitionKey> partitions_of(const Batch& batch) {
    std::vector<PartitionKey> keys;
    const auto add = [&keys](const std::string& source, const std::string& stream,
                             std::int32_t partition) {
        PartitionKey key{source, stream, partition};
        const auto at = std::lower_bound(keys.begin(), keys.end(), key);
        if (at == keys.end() || *at != key) keys.insert(at, std::move(key));
    };
    for (const Candidate& candidate : batch.candidates) {
        if (candidate.origin.positioned())
            add(candidate.source, candidate.origin.stream, candidate.origin.partition);
    }
    for (const AuditEntry& entry : batch.audit_only) {
        if (entry.origin.positioned())
            add(entry.source, entry.origin.stream, entry.origin.partition);
    }
    for (const SourcePosition& position : batch.positions)
        add(position.source, position.stream, position.partition);
    return keys;
}

// A trade id's state as the store read it in its transaction, after locking it.
struct StoredState {
    std::optional<Trade> row;               // the live row, if any
    std::optional<std::int64_t> tombstone;  // the deleted version, when there is no live row
    std::optional<Timestamp> deleted_at;    // with the tombstone: when it was recorded
};

// One audit row to write, in order. Views point into the batch.
struct AuditRow {
    std::string_view trade_id;
    AuditAction action = AuditAction::Create;
    bool success = true;
    std::string reason_codes;  // "A,B"
    std::string message;
    std::optional<std::int64_t> received_version;
    std::optional<std::int64_t> stored_version;
    std::string_view source;
    std::string_view reference;
    // For an accepted decision: the trade as it stores it (a result's, stable for the plan's
    // life), whose last_updated is when the version is recorded. The entry is then also that
    // version of the trade's history (tradestore/history.h). nullptr for a rejection or an
    // audit-only entry.
    const Trade* version = nullptr;
};

// A trade row to write: the last accepted version of one id in the batch.
struct TradeWrite {
    std::size_t candidate = 0;  // its result (results[candidate].stored) is the row
    bool existed = false;       // a live row was stored before the batch (update, not insert)
    bool restores = false;      // the id had a tombstone, which goes
    // The id ends the batch deleted: results[candidate] is the delete, its stored trade the
    // version deleted (its last_updated the tombstone's time); the live row, if it existed,
    // goes, and the tombstone is written (or raised to that version). Never with restores.
    bool deletes = false;
    // The live row stored before the batch, when there was one (existed): a store can leave
    // untouched what the write does not change (SQLite: the indexes on unchanged columns).
    std::optional<Trade> before;
};

// A book a trade left: an accepted version moved a live trade to another book. A store that
// answers TradeHistory::book_at keeps these, since the trades table no longer says that the
// trade was ever in that book (a delete leaves one too, written by the store's own delete).
// The trade id views the batch; the book is a copy (the row it came from may be moved into a
// TradeWrite).
struct BookDeparture {
    std::string book_id;
    std::string_view trade_id;
};

struct BatchPlan {
    std::vector<ItemResult> results;        // one per candidate, in order
    std::vector<AuditRow> audit;            // audit-only entries first, then one per decision
    std::vector<TradeWrite> writes;         // one per id with an accepted version, in id order
    std::vector<BookDeparture> departures;  // in decision order; empty unless a book changed
    // Per partition that the batch moves: the highest offset it applies or names, key order.
    std::vector<SourcePosition> positions;
    std::size_t replays = 0;  // candidates and audit-only entries skipped as replays
};

// `load(trade_id)` returns the id's StoredState; it is called once per distinct id, in the
// order of first appearance, and only for candidates that are not replays. `recorded` holds the
// positions read (and locked) in the same transaction. `now` (the store's clock, read once the
// rows are locked) stamps accepted rows: each gets next_recorded_at(now, the id's time before).
template <typename Load>
BatchPlan decide_batch(const Batch& batch, std::span<const Rule* const> rules, Date business_date,
                       Timestamp now, const RecordedPositions& recorded, Load&& load) {
    BatchPlan plan;
    plan.results.resize(batch.candidates.size());
    plan.audit.reserve(batch.audit_only.size() + batch.candidates.size());

    // Per partition: an item is a replay when its offset is at or below the recorded position
    // (an earlier transaction applied it) or came earlier in this batch. Not "at or below the
    // highest offset so far": audit-only entries are decided before the candidates, although
    // their offsets interleave (Kafka offsets 4, 5, 6: a trade, a dead letter, a trade).
    struct PartitionState {
        std::int64_t recorded = Origin::kNoOffset;
        std::int64_t highest = Origin::kNoOffset;  // the partition's position after the batch
        // The offsets taken in this batch. Those that arrive in increasing order (the usual
        // case) are appended to `ascending` and found by bisection, without hashing; the
        // others, all below ascending.back(), go to `others`.
        std::vector<std::int64_t> ascending;
        std::unordered_set<std::int64_t> others;

        bool take(std::int64_t offset) {  // false when the batch already had the offset
            if (ascending.empty() || offset > ascending.back()) {
                ascending.push_back(offset);
                return true;
            }
            if (std::binary_search(ascending.begin(), ascending.end(), offset)) return false;
            return others.insert(offset).second;
        }
    };
    std::map<PartitionKey, PartitionState> moved;
    auto last = moved.end();  // the partition of the item before: usually the item's too
    PartitionKey probe;
    const auto is_replay = [&](const std::string& source, const Origin& origin) {
        if (!origin.positioned()) return false;
        if (last == moved.end() || last->first.partition != origin.partition ||
            last->first.stream != origin.stream || last->first.source != source) {
            probe.source = source;
            probe.stream = origin.stream;
            probe.partition = origin.partition;
            last = moved.find(probe);
            if (last == moved.end()) {
                const auto found = recorded.find(probe);
                const std::int64_t position =
                    found == recorded.end() ? Origin::kNoOffset : found->second;
                last = moved.emplace(probe, PartitionState{position, position, {}, {}}).first;
            }
        }
        PartitionState& state = last->second;
        if (origin.offset <= state.recorded || !state.take(origin.offset)) return true;
        state.highest = std::max(state.highest, origin.offset);
        return false;
    };

    for (const AuditEntry& entry : batch.audit_only) {
        if (is_replay(entry.source, entry.origin)) {
            ++plan.replays;
            continue;
        }
        AuditRow& row = plan.audit.emplace_back();
        row.trade_id = entry.trade_id;
        row.action = entry.action;
        row.success = entry.success;
        for (const std::string& code : entry.reason_codes) {
            if (!row.reason_codes.empty()) row.reason_codes += ',';
            row.reason_codes += code;
        }
        row.message = entry.message;
        row.received_version = entry.received_version;
        row.stored_version = entry.stored_version;
        row.source = entry.source;
        row.reference = entry.reference;
    }

    struct IdState {
        StoredState loaded;
        const Trade* row = nullptr;  // the row as it stands now: loaded, or a result's
        std::optional<std::int64_t> tombstone;
        std::optional<Timestamp> recorded;  // when the id's current state was recorded
        std::optional<std::size_t> last_accepted;
        bool restores = false;
        bool deleted = false;  // the last accepted decision was a delete
    };
    std::unordered_map<std::string_view, IdState> ids;  // results never reallocate
    ids.reserve(batch.candidates.size());

    for (std::size_t i = 0; i < batch.candidates.size(); ++i) {
        const Candidate& candidate = batch.candidates[i];
        const Trade& incoming = candidate.trade;
        ItemResult& result = plan.results[i];
        if (is_replay(candidate.source, candidate.origin)) {
            result.skipped_as_replay = true;
            ++plan.replays;
            continue;
        }

        auto [it, first_seen] = ids.try_emplace(incoming.trade_id);
        IdState& state = it->second;
        if (first_seen) {
            state.loaded = load(incoming.trade_id);
            if (state.loaded.row) {
                state.row = &*state.loaded.row;
                state.recorded = state.loaded.row->last_updated;
            } else {
                state.tombstone = state.loaded.tombstone;
                state.recorded = state.loaded.deleted_at;
            }
        }

        Decision decision;
        if (!candidate.deletes) {
            decision =
                decide(rules, RuleInput{incoming, state.row, state.tombstone, business_date});
        } else if (state.row == nullptr) {  // nothing to delete: no rule is asked
            decision.reasons.push_back(
                {std::string(reason::kNotFound), "Trade " + incoming.trade_id + " not found"});
        } else {
            decision = decide(rules, RuleInput{*state.row, state.row, std::nullopt, business_date,
                                               /*deleting=*/true});
        }
        if (state.row != nullptr) result.previous_version = state.row->version;
        AuditRow& row = plan.audit.emplace_back();
        describe_for_audit(candidate.deletes && state.row != nullptr ? *state.row : incoming,
                           decision, result.previous_version, row.reason_codes, row.message);

        if (decision.outcome == Outcome::Rejected) {
            if (state.row != nullptr) result.stored = *state.row;
        } else {
            const Trade& version = candidate.deletes ? *state.row : incoming;
            if (state.row != nullptr &&
                (candidate.deletes || state.row->book_id != incoming.book_id)) {
                plan.departures.push_back({state.row->book_id, incoming.trade_id});
            }
            Trade& stored = result.stored.emplace(version);
            if (!candidate.deletes) stored.expired = false;  // owned by the server
            stored.last_updated = next_recorded_at(now, state.recorded);
            state.recorded = stored.last_updated;
            state.last_accepted = i;
            state.deleted = candidate.deletes;
            if (candidate.deletes) {
                state.tombstone = stored.version;
                state.restores = false;
            } else if (state.tombstone) {
                state.restores = true;
                state.tombstone.reset();
            }
        }
        // A deleted trade has no live row; its result still shows it as it was deleted.
        if (decision.outcome == Outcome::Deleted) {
            state.row = nullptr;
        } else {
            state.row = result.stored ? &*result.stored : nullptr;
        }

        row.trade_id = incoming.trade_id;
        row.action = candidate.deletes ? AuditAction::Delete : audit_action(decision.outcome);
        if (decision.outcome != Outcome::Rejected) row.version = &*result.stored;
        row.success = decision.outcome != Outcome::Rejected;
        if (!candidate.deletes) row.received_version = incoming.version;
        row.stored_version = result.previous_version;
        row.source = candidate.source;
        row.reference = candidate.reference;
        result.outcome = decision.outcome;
        result.reasons = std::move(decision.reasons);
    }

    // Writes in id order: a fixed lock order.
    std::vector<std::pair<std::string_view, IdState*>> by_id;
    by_id.reserve(ids.size());
    for (auto& [id, state] : ids) {
        if (state.last_accepted) by_id.emplace_back(id, &state);
    }
    std::sort(by_id.begin(), by_id.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    plan.writes.reserve(by_id.size());
    for (const auto& [id, state] : by_id) {
        plan.writes.push_back({*state->last_accepted, state->loaded.row.has_value(),
                               state->restores && !state->deleted, state->deleted,
                               std::move(state->loaded.row)});
    }

    for (const SourcePosition& position : batch.positions) {
        auto [at, inserted] =
            moved.try_emplace(PartitionKey{position.source, position.stream, position.partition},
                              PartitionState{Origin::kNoOffset, position.offset, {}, {}});
        if (!inserted) at->second.highest = std::max(at->second.highest, position.offset);
    }
    for (const auto& [key, state] : moved) {
        const std::int64_t offset = state.highest;
        const auto found = recorded.find(key);
        if (offset < 0 || (found != recorded.end() && found->second >= offset)) continue;
        plan.positions.push_back({key.source, key.stream, key.partition, offset});
    }
    return plan;
}

}  // namespace tradestore
