#include "audit_shipper.h"

#include <string_view>
#include <vector>

namespace tradestore::plugins::mongo {
namespace {

// Runs a store call, turning its failures into StoreFailure, so callers can tell them from
// MongoDB's.
template <typename Call>
auto store_call(const char* what, Call&& call) {
    try {
        return call();
    } catch (const MongoError&) {
        throw;
    } catch (const std::exception& error) {
        throw StoreFailure(std::string(what) + ": " + error.what());
    }
}

}  // namespace

void AuditShipper::ship(AuditOutbox& outbox, std::chrono::steady_clock::time_point deadline,
                        ShipReport& report) {
    for (;;) {
        const std::vector<AuditEntry> entries = store_call(
            "reading the audit outbox", [&] { return outbox.unshipped_audit(batch_size_); });
        report.store_reached = true;
        if (entries.empty()) {
            report.drained = true;
            return;
        }

        sink_.ensure_indexes();
        const MongoSink::InsertResult inserted = sink_.insert_audit(entries);

        // Events implied by the entries, before the mark: if this run dies here, the resend
        // writes them again, and each is idempotent (fixed _id).
        const std::vector<Event> dead_letters = dead_letter_events(entries);
        if (!dead_letters.empty()) {
            sink_.insert_events(dead_letters);
            report.events += static_cast<std::int64_t>(dead_letters.size());
        }
        // An expiry run's count comes from what audit_logs holds of it, so a run spread over
        // several batches (or runs of this job) ends with its full count whatever the order.
        for (const ExpiryRun& run : expiry_runs(entries)) {
            sink_.upsert_event(expiry_event(run, sink_.count_expired(run)));
            ++report.events;
        }

        std::vector<std::int64_t> ids;
        ids.reserve(entries.size());
        for (const AuditEntry& entry : entries) ids.push_back(entry.id);
        store_call("marking audit entries shipped", [&] {
            outbox.mark_audit_shipped(ids);
            return 0;
        });
        report.shipped += static_cast<std::int64_t>(entries.size());
        report.already_there += inserted.already_there;
        ++report.batches;

        if (static_cast<std::int64_t>(entries.size()) < batch_size_) {
            report.drained = true;
            return;
        }
        if (std::chrono::steady_clock::now() >= deadline) return;
    }
}

void AuditShipper::ship_events(EventOutbox& outbox, std::chrono::steady_clock::time_point deadline,
                               ShipReport& report) {
    for (;;) {
        const std::vector<SystemEvent> events = store_call(
            "reading the event outbox", [&] { return outbox.unshipped_events(batch_size_); });
        if (events.empty()) return;

        std::vector<Event> documents;
        std::vector<std::string> ids;
        documents.reserve(events.size());
        ids.reserve(events.size());
        for (const SystemEvent& event : events) {
            documents.push_back(from_system_event(event));
            ids.push_back(event.id);
        }
        sink_.ensure_indexes();
        sink_.insert_events(documents);  // a resend is harmless: the event id is the _id
        store_call("marking events shipped", [&] {
            outbox.mark_events_shipped(ids);
            return 0;
        });
        report.system_events += static_cast<std::int64_t>(events.size());

        if (static_cast<std::int64_t>(events.size()) < batch_size_) return;
        if (std::chrono::steady_clock::now() >= deadline) return;
    }
}

RetentionReport apply_retention(MongoSink& sink, AuditOutbox* audit, EventOutbox* events,
                                std::optional<Timestamp> mongo_cutoff,
                                std::optional<Timestamp> store_cutoff) {
    RetentionReport report;
    if (mongo_cutoff) {
        report.audit_logs_deleted = sink.delete_older_than(kAuditCollection, *mongo_cutoff);
        report.trade_events_deleted = sink.delete_older_than(kEventCollection, *mongo_cutoff);
    }
    if (store_cutoff && audit != nullptr) {
        report.store_pruned = store_call("pruning shipped audit entries",
                                         [&] { return audit->prune_shipped_audit(*store_cutoff); });
        if (events != nullptr) {
            report.store_events_pruned = store_call("pruning shipped events", [&] {
                return events->prune_shipped_events(*store_cutoff);
            });
        }
    }
    return report;
}

}  // namespace tradestore::plugins::mongo
