#include "mongo_audit_job.h"

#include <algorithm>

namespace tradestore::plugins::mongo {
namespace {

using std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kDownLogEvery = 60s;
constexpr auto kMinimumRunBudget = 1s;
constexpr auto kRetentionRetry = 1min;

// The job whose host receives the driver's warnings (one mongo-audit job per process).
std::atomic<MongoAuditJob*> driver_log_target{nullptr};

std::string seconds_text(steady_clock::duration duration) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(duration).count()) + "s";
}

}  // namespace

MongoAuditJob::MongoAuditJob(MongoAuditSettings settings)
    : settings_(std::move(settings)),
      sink_(settings_.uri, settings_.database),
      shipper_(sink_, settings_.batch_size),
      event_reader_(settings_.uri, settings_.database) {}

MongoAuditJob::~MongoAuditJob() {
    // While the driver's warnings still reach the daemon's log.
    sink_.disconnect();
    event_reader_.disconnect();
    MongoAuditJob* self = this;
    if (driver_log_target.compare_exchange_strong(self, nullptr)) {
        mongoc_log_set_handler(mongoc_log_default_handler, nullptr);
    }
}

void MongoAuditJob::log_from_driver(mongoc_log_level_t level, const char* domain,
                                    const char* message, void* self) {
    // The driver reports a failed operation through its return value too (and the job logs
    // that); its own warnings go to the daemon's log, the chatter below them nowhere.
    if (level > MONGOC_LOG_LEVEL_WARNING || driver_log_target.load() != self) return;
    // FerretDB has no sessions; the driver says so whenever a client closes.
    if (message != nullptr &&
        std::string_view(message).find("endSessions") != std::string_view::npos) {
        return;
    }
    static_cast<MongoAuditJob*>(self)->log(
        level == MONGOC_LOG_LEVEL_WARNING ? LogLevel::Warning : LogLevel::Error,
        std::string("driver (") + (domain != nullptr ? domain : "mongoc") +
            "): " + (message != nullptr ? message : ""));
}

void MongoAuditJob::log(LogLevel level, const std::string& message) {
    if (host_ != nullptr) host_->log(level, "mongo-audit", message);
}

void MongoAuditJob::queue_event(Event event) {
    if (queued_events_.size() >= kMaxQueuedEvents) {
        queued_events_.pop_front();
        ++dropped_events_;
    }
    queued_events_.push_back(std::move(event));
}

void MongoAuditJob::flush_events() {
    if (dropped_events_ > 0) {
        log(LogLevel::Warning,
            std::to_string(dropped_events_) +
                " event(s) were dropped while MongoDB was unreachable (at most " +
                std::to_string(kMaxQueuedEvents) + " wait in memory)");
        dropped_events_ = 0;
    }
    if (queued_events_.empty()) return;
    const std::vector<Event> events(queued_events_.begin(), queued_events_.end());
    sink_.insert_events(events);  // idempotent: ids were fixed when the events were queued
    queued_events_.clear();
}

void MongoAuditJob::note_mongo_failure(const std::string& error) {
    mongo_up_ = false;
    const auto now = steady_clock::now();
    ++failed_runs_;
    if (!mongo_down_since_) {
        mongo_down_since_ = now;
        last_down_log_ = now;
        catching_up_ = false;
        log(LogLevel::Warning, "mongodb " + sink_.servers() + " is down: " + error +
                                   "; audit entries wait in the store and ship when it is back");
    } else if (now - last_down_log_ >= kDownLogEvery) {
        last_down_log_ = now;
        log(LogLevel::Warning, "mongodb " + sink_.servers() + " still down after " +
                                   seconds_text(now - *mongo_down_since_) + " (" +
                                   std::to_string(failed_runs_) + " runs): " + error);
    }
}

void MongoAuditJob::note_mongo_success() {
    mongo_up_ = true;
    if (!mongo_down_since_) return;
    log(LogLevel::Info, "mongodb " + sink_.servers() + " is reachable again after " +
                            seconds_text(steady_clock::now() - *mongo_down_since_) +
                            "; shipping the backlog");
    mongo_down_since_.reset();
    failed_runs_ = 0;
    catching_up_ = true;
    shipped_since_recovery_ = 0;
}

void MongoAuditJob::note_store_failure(const std::string& error) {
    // The kernel emits STORE_DOWN and STORE_UP (it sees every commit); the shipper only logs.
    if (store_down_since_) return;
    store_down_since_ = std::chrono::system_clock::now();
    log(LogLevel::Warning, "the store failed while shipping: " + error);
}

void MongoAuditJob::note_store_success() {
    if (!store_down_since_) return;
    const auto down_for = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now() - *store_down_since_);
    store_down_since_.reset();
    log(LogLevel::Info, "the store is back after " + std::to_string(down_for.count()) + "s");
}

void MongoAuditJob::take_host_events() {
    EventBatch taken = host_->take_events(kMaxQueuedEvents);
    dropped_events_ += taken.dropped;
    for (const SystemEvent& event : taken.events) queue_event(from_system_event(event));
}

void MongoAuditJob::refresh_backlog() {
    // One count over the store's unshipped marker (its partial index) per run, so a scrape of
    // /metrics costs nothing.
    if (backlog_gauge_ == nullptr) return;
    try {
        AuditOutbox* outbox = host_->capabilities().audit_outbox;
        if (outbox != nullptr)
            backlog_gauge_->set(static_cast<double>(outbox->unshipped_audit_count()));
    } catch (const std::exception& error) {
        // The store is down: the last count stands.
        log(LogLevel::Debug, std::string("counting the audit backlog failed: ") + error.what());
    }
}

void MongoAuditJob::retention_if_due() {
    const std::int64_t mongo_days = settings_.retention_days;
    const std::int64_t store_days = settings_.effective_store_retention_days();
    if (mongo_days <= 0 && store_days <= 0) return;
    const auto now = steady_clock::now();
    if (next_retention_ && now < *next_retention_) return;

    // Milliseconds, as MongoDB keeps time: the store and MongoDB cut at the same instant.
    const Timestamp at = std::chrono::floor<std::chrono::milliseconds>(now_utc());
    std::optional<Timestamp> mongo_cutoff;
    std::optional<Timestamp> store_cutoff;
    if (mongo_days > 0) mongo_cutoff = at - std::chrono::days{mongo_days};
    if (store_days > 0) store_cutoff = at - std::chrono::days{store_days};

    bool ok = true;
    std::string message = "retention:";
    if (mongo_cutoff) {
        try {
            const RetentionReport report =
                apply_retention(sink_, nullptr, nullptr, mongo_cutoff, {});
            message += " deleted " + std::to_string(report.audit_logs_deleted) +
                       " audit_logs and " + std::to_string(report.trade_events_deleted) +
                       " trade_events document(s) older than " + format_timestamp(*mongo_cutoff) +
                       " (" + std::to_string(mongo_days) + " days)";
        } catch (const MongoError& error) {
            ok = false;
            message += std::string(" deleting old MongoDB documents failed: ") + error.what();
        }
    }
    if (store_cutoff) {
        try {
            const RetentionReport report =
                apply_retention(sink_, host_->capabilities().audit_outbox,
                                host_->capabilities().event_outbox, {}, store_cutoff);
            message += std::string(mongo_cutoff ? ";" : "") + " pruned " +
                       std::to_string(report.store_pruned) + " shipped audit entr(ies) and " +
                       std::to_string(report.store_events_pruned) +
                       " shipped event(s) older than " + format_timestamp(*store_cutoff) + " (" +
                       std::to_string(store_days) + " days) from the store";
        } catch (const std::exception& error) {
            ok = false;
            message +=
                std::string(" pruning the store's shipped audit entries failed: ") + error.what();
        }
    }
    log(ok ? LogLevel::Info : LogLevel::Warning, message);
    next_retention_ = now + (ok ? settings_.retention_interval
                                : std::min<steady_clock::duration>(settings_.retention_interval,
                                                                   kRetentionRetry));
}

void MongoAuditJob::record_metrics(const ShipReport& report, bool mongo_failed) {
    if (up_gauge_ == nullptr) return;  // the host's registry refused them (logged)
    up_gauge_->set(mongo_failed ? 0.0 : 1.0);
    shipped_counter_->inc(static_cast<std::uint64_t>(report.shipped));
    if (mongo_failed) {
        failed_runs_counter_->inc();
    } else {
        last_success_gauge_->set(
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count());
    }
}

void MongoAuditJob::run(Host& host) {
    host_ = &host;
    if (!started_) {
        driver_log_target = this;
        mongoc_log_set_handler(&MongoAuditJob::log_from_driver, this);
        log(LogLevel::Info, "shipping the audit outbox to mongodb " + sink_.servers() +
                                ", database " + sink_.database() + " (" + sink_.write_concern() +
                                "), every " + std::to_string(settings_.interval.count()) +
                                "ms, up to " + std::to_string(settings_.batch_size) +
                                " entries per batch");
        try {
            Metrics& metrics = host.metrics();
            up_gauge_ = &metrics.gauge("tradestore_mongo_audit_up",
                                       "1 when the last mongo-audit run reached MongoDB, else 0");
            shipped_counter_ =
                &metrics.counter("tradestore_mongo_audit_shipped_entries_total",
                                 "Audit entries shipped to MongoDB and marked shipped");
            failed_runs_counter_ =
                &metrics.counter("tradestore_mongo_audit_failed_runs_total",
                                 "mongo-audit runs that could not reach MongoDB");
            last_success_gauge_ =
                &metrics.gauge("tradestore_mongo_audit_last_success_timestamp_seconds",
                               "When a mongo-audit run last reached MongoDB (Unix time)");
            backlog_gauge_ = &metrics.gauge(
                "tradestore_audit_unshipped_entries",
                "Audit entries in the store not yet shipped to MongoDB (counted once per "
                "mongo-audit run)");
        } catch (const std::exception& error) {
            up_gauge_ = last_success_gauge_ = backlog_gauge_ = nullptr;
            shipped_counter_ = failed_runs_counter_ = nullptr;
            log(LogLevel::Warning, std::string("no metrics for mongo-audit: ") + error.what());
        }
        if (host.capabilities().audit_outbox == nullptr) {
            log(LogLevel::Error,
                "the store has no audit outbox: mongo-audit needs one and ships no audit entries");
        }
        if (host.capabilities().event_outbox == nullptr) {
            // The kernel keeps such a store's events in memory for take_events.
            log(LogLevel::Warning,
                "the store has no event outbox: events are shipped from memory, not durably");
        }
        started_ = true;
    }
    take_host_events();
    AuditOutbox* audit_outbox = host.capabilities().audit_outbox;
    EventOutbox* event_outbox = host.capabilities().event_outbox;
    if (audit_outbox == nullptr) {
        try {
            flush_events();
        } catch (const MongoError& error) {
            note_mongo_failure(error.what());
        }
        return;
    }

    const auto budget = std::max<steady_clock::duration>(settings_.interval, kMinimumRunBudget);
    ShipReport report;
    std::optional<std::string> mongo_error;
    try {
        shipper_.ship(*audit_outbox, steady_clock::now() + budget, report);
    } catch (const StoreFailure& error) {
        note_store_failure(error.what());
    } catch (const MongoError& error) {
        mongo_error = error.what();
    }
    if (report.store_reached) note_store_success();

    if (!mongo_error && event_outbox != nullptr) {
        try {
            shipper_.ship_events(*event_outbox, steady_clock::now() + budget, report);
        } catch (const StoreFailure& error) {
            note_store_failure(error.what());
        } catch (const MongoError& error) {
            mongo_error = error.what();
        }
    }

    if (!mongo_error) {
        try {
            sink_.ensure_indexes();
            flush_events();
            // Nothing was shipped, so nothing has shown that MongoDB is there.
            if (report.shipped == 0) sink_.ping();
        } catch (const MongoError& error) {
            mongo_error = error.what();
        }
    }
    if (mongo_error) {
        note_mongo_failure(*mongo_error);
    } else {
        note_mongo_success();
    }
    record_metrics(report, mongo_error.has_value());
    refresh_backlog();

    if (report.shipped > 0) {
        log(LogLevel::Debug, "shipped " + std::to_string(report.shipped) + " audit entries in " +
                                 std::to_string(report.batches) + " batch(es) (" +
                                 std::to_string(report.already_there) + " already in mongodb)");
    }
    if (report.system_events > 0) {
        log(LogLevel::Debug, "shipped " + std::to_string(report.system_events) +
                                 " event(s) from the store's event outbox");
    }
    if (catching_up_) {
        shipped_since_recovery_ += report.shipped;
        if (report.drained && !mongo_error) {
            catching_up_ = false;
            log(LogLevel::Info, "backlog drained: " + std::to_string(shipped_since_recovery_) +
                                    " audit entries shipped since mongodb came back");
        }
    }
    if (!mongo_error) retention_if_due();
}

}  // namespace tradestore::plugins::mongo
