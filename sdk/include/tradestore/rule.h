// A validation rule: a pure decision over the incoming trade, the stored state and the
// business date. Rules run inside the store's transaction, after the rows are locked.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "tradestore/outcome.h"
#include "tradestore/trade.h"

namespace tradestore {

struct RuleInput {
    const Trade& incoming;
    const Trade* stored;                          // nullptr when no live row exists
    std::optional<std::int64_t> deleted_version;  // tombstone of a deleted trade, if any
    Date business_date;
    // A delete of the stored trade (Candidate::deletes): `incoming` is then the stored trade
    // itself. A rule that has nothing to say about deletes returns at once; one that refuses
    // some appends a Rejection as for any trade. Rules never see a delete of a trade that has
    // no live row (that is NOT_FOUND before any rule runs).
    bool deleting = false;
};

class Rule {
  public:
    virtual ~Rule() = default;
    // Appends one Rejection per failed check; appends nothing to accept. Must not throw
    // for any well-formed trade, and must not keep state between calls.
    virtual void check(const RuleInput& input, std::vector<Rejection>& rejections) const = 0;
};

}  // namespace tradestore
