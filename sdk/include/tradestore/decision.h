// How a store turns the rule chain's verdict into an outcome. Every store calls this inside
// its transaction so that all backends decide alike.
#pragma once

#include <algorithm>
#include <span>
#include <string>

#include "tradestore/outcome.h"
#include "tradestore/rule.h"

namespace tradestore {

struct Decision {
    Outcome outcome = Outcome::Rejected;
    std::vector<Rejection> reasons;
};

// Runs the rules in order and reports every failure. Two guards hold even when an
// operator configures no version rule: a lower version never overwrites a higher one, and a
// deleted trade comes back only with a higher version than the one deleted.
inline Decision decide(std::span<const Rule* const> rules, const RuleInput& input) {
    Decision decision;
    for (const Rule* rule : rules) rule->check(input, decision.reasons);
    if (input.deleting) {  // the version guards are about versions that arrive, not deletes
        decision.outcome = decision.reasons.empty() ? Outcome::Deleted : Outcome::Rejected;
        return decision;
    }

    const auto has_code = [&](std::string_view code) {
        return std::any_of(decision.reasons.begin(), decision.reasons.end(),
                           [&](const Rejection& r) { return r.code == code; });
    };
    const std::int64_t received = input.incoming.version;
    if (input.stored != nullptr && received < input.stored->version &&
        !has_code(reason::kLowerVersion)) {
        decision.reasons.push_back(
            {std::string(reason::kLowerVersion),
             "Trade " + input.incoming.trade_id + ": Received version " + std::to_string(received) +
                 " is lower than current version " + std::to_string(input.stored->version)});
    }
    if (input.stored == nullptr && input.deleted_version && received <= *input.deleted_version &&
        !has_code(reason::kDeletedVersion)) {
        decision.reasons.push_back(
            {std::string(reason::kDeletedVersion),
             "Trade " + input.incoming.trade_id + ": version " +
                 std::to_string(*input.deleted_version) +
                 " was deleted; only a higher version can restore it, received version " +
                 std::to_string(received)});
    }

    if (!decision.reasons.empty()) {
        decision.outcome = Outcome::Rejected;
    } else if (input.stored == nullptr) {
        decision.outcome = Outcome::Created;
    } else if (received == input.stored->version) {
        decision.outcome = Outcome::Replaced;
    } else {
        decision.outcome = Outcome::Updated;
    }
    return decision;
}

}  // namespace tradestore
