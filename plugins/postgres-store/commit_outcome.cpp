#include "commit_outcome.h"

namespace tradestore::plugins::pg {

CommitVerdict commit_verdict(std::string_view status, bool restarted) noexcept {
    if (status == "committed") {
        // A commit that reached the WAL keeps its id after a crash; one that did not may see
        // its id reused by another transaction, which then is what committed.
        return restarted ? CommitVerdict::CheckEvidence : CommitVerdict::Committed;
    }
    // Never handed out, or aborted: ours did not commit (had it, the status would say so,
    // restart or not).
    if (status == "aborted" || status == "unassigned") return CommitVerdict::Aborted;
    if (status == "in progress") {
        // After a restart nothing from before it is in progress: the id is another's now,
        // and ours ended with the crash without committing.
        return restarted ? CommitVerdict::Aborted : CommitVerdict::AskAgain;
    }
    return CommitVerdict::Unknown;  // "forgotten"
}

}  // namespace tradestore::plugins::pg
