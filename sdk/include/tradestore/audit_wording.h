// How a store words the audit entry of a decision, so that every store writes the same
// action, reason codes and message for the same decision.
#pragma once

#include <optional>
#include <string>

#include "tradestore/decision.h"
#include "tradestore/store.h"

namespace tradestore {

inline AuditAction audit_action(Outcome outcome) {
    switch (outcome) {
        case Outcome::Created:
            return AuditAction::Create;
        case Outcome::Updated:
            return AuditAction::Update;
        case Outcome::Replaced:
            return AuditAction::Replace;
        case Outcome::Rejected:
            return AuditAction::ValidationFailed;
        case Outcome::Deleted:
            return AuditAction::Delete;
    }
    return AuditAction::ValidationFailed;
}

// The reason codes ("A,B") and the message: the rejections' messages joined by "; ", or what
// was done for an accepted trade ("Trade T1: version 1 updated to version 2"). Reuses the
// caller's buffers, since stores call it once per candidate on the hot path.
inline void describe_for_audit(const Trade& incoming, const Decision& decision,
                               std::optional<std::int64_t> previous_version, std::string& codes,
                               std::string& message) {
    codes.clear();
    message.clear();
    if (decision.outcome == Outcome::Rejected) {
        for (const Rejection& rejection : decision.reasons) {
            if (!codes.empty()) codes += ',';
            codes += rejection.code;
            if (!message.empty()) message += "; ";
            message += rejection.message;
        }
        return;
    }
    message += "Trade ";
    message += incoming.trade_id;
    message += ": version ";
    if (decision.outcome == Outcome::Updated) {
        message += std::to_string(previous_version.value_or(0));
        message += " updated to version ";
    }
    message += std::to_string(incoming.version);
    if (decision.outcome == Outcome::Created) message += " created";
    if (decision.outcome == Outcome::Replaced) message += " replaced";
    if (decision.outcome == Outcome::Deleted) message += " deleted";
}

}  // namespace tradestore
