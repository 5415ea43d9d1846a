#include "runtime.h"

#include <tradestore/history.h>
#include <tradestore/read_replicas.h>
#include <tradestore/store_capabilities.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "history_retention_job.h"

namespace tradestore::kernel {

namespace {

// How long the shutdown waits for a store that refuses the last events (STOPPED).
constexpr std::chrono::milliseconds kEventFlushBudget{2000};

// "sqlite-store" reports as "sqlite" in GET /health, "postgres-store" as "postgres".
std::string service_name(const std::string& plugin_name) {
    constexpr std::string_view suffix = "-store";
    if (plugin_name.size() > suffix.size() && plugin_name.ends_with(suffix))
        return plugin_name.substr(0, plugin_name.size() - suffix.size());
    return plugin_name;
}

}  // namespace

Runtime::Runtime(const DeploymentPlan& plan)
    : plan_(plan),
      clock_(plan.kernel.business_timezone, plan.kernel.business_day_rollover,
             plan.kernel.business_date) {}

Runtime::~Runtime() {
    stop();
}

void Runtime::log(LogLevel level, const std::string& message) {
    if (host_) {
        host_->log(level, "kernel", message);
    }
}

void Runtime::start() {
    const PlannedPlugin& store_plan = plan_.store();
    store_ = store_plan.plugin->create_store(store_plan.settings);

    std::vector<const Rule*> rule_chain;
    for (const auto& planned : plan_.plugins) {
        if (!planned.plugin->has_kind(kRulePlugin)) continue;
        rules_.push_back(planned.plugin->create_rule(planned.settings));
        rule_chain.push_back(rules_.back().get());
    }
    pipeline_ = std::make_unique<IngestPipeline>(
        store_, std::move(rule_chain), clock_,
        IngestOptions{plan_.kernel.group_commit_max_items, plan_.kernel.ingest_writers,
                      plan_.kernel.request_writers, plan_.kernel.backlog_share},
        [this](LogLevel level, const std::string& message) { log(level, "ingest: " + message); },
        &ingest_metrics_);
    host_ = std::make_unique<KernelHost>(store_, service_name(store_plan.plugin->descriptor().name),
                                         clock_, codec_, *pipeline_, metrics_);
    host_->set_store_gates_readiness(store_plan.gates_readiness);
    pipeline_->on_store_state([host = host_.get()](bool up, const std::string& error) {
        host->note_store_state(up, error);
    });

    log(LogLevel::Info, "business date is " + format_date(clock_.today()) + " (" +
                            plan_.kernel.business_timezone + ")");
    try {
        store_->open();
    } catch (const std::exception& error) {
        throw std::runtime_error(store_plan.plugin->descriptor().name +
                                 ": cannot open the store: " + error.what());
    }
    store_open_ = true;
    log(LogLevel::Info, "store " + store_plan.plugin->descriptor().name + " opened");
    if (ReadReplicas* replicas = store_->read_replicas()) {
        replicas->record_metrics(metrics_);
        for (const ReplicaState& replica : replicas->replica_states()) {
            log(LogLevel::Info,
                "read replica " + replica.name +
                    (replica.in_rotation ? " in rotation" : " not in rotation yet"));
        }
    }
    host_->store_opened();
    log(LogLevel::Info, "store " + store_plan.plugin->descriptor().name +
                            " offers: " + describe(host_->capabilities()));
    log(LogLevel::Info, "rule chain has " + std::to_string(rules_.size()) + " rule plugin(s)");
    pipeline_->start();

    scheduler_ = std::make_unique<JobScheduler>(
        *host_, [this](const std::string& job, const std::string& error) {
            log(LogLevel::Error, "job " + job + " failed: " + error);
        });
    for (const auto& planned : plan_.plugins) {
        if (!planned.plugin->has_kind(kJobPlugin)) continue;
        auto job = planned.plugin->create_job(planned.settings);
        if (!job) continue;  // a plugin whose settings enable no job (kafka-source's feed)
        host_->add_job(job);
        scheduler_->add(planned.plugin->descriptor().name, std::move(job));
        log(LogLevel::Info, "job " + planned.plugin->descriptor().name + " scheduled");
    }
    if (plan_.kernel.history_retention.count() > 0) {
        if (store_->trade_history() == nullptr) {
            log(LogLevel::Warning,
                "history_retention_days is set but the store keeps no "
                "trade history: nothing to prune");
        } else {
            scheduler_->add("history-retention",
                            std::make_shared<HistoryRetentionJob>(plan_.kernel.history_retention));
            log(LogLevel::Info, "job history-retention scheduled (versions older than " +
                                    std::to_string(plan_.kernel.history_retention.count()) +
                                    " days)");
        }
    }
    scheduler_->start();

    for (const auto& planned : plan_.plugins) {
        if (!planned.plugin->has_kind(kSourcePlugin)) continue;
        auto source = planned.plugin->create_source(planned.settings);
        host_->add_source(source, planned.gates_readiness);
        sources_.emplace_back(planned.plugin->descriptor().name, source);
    }
    for (const auto& [name, source] : sources_) {
        try {
            source->start(*host_);
        } catch (const std::exception& error) {
            stop();
            throw std::runtime_error(error.what());
        }
        started_sources_.emplace_back(name, source);
        log(LogLevel::Info, "source " + name + " started");
    }
    started_at_ = std::chrono::steady_clock::now();
    running_ = true;
    host_->emit_event("STARTED", EventSeverity::Info, process_facts());
    log(LogLevel::Info, "tradestored " TRADESTORE_VERSION " is running");
}

std::string Runtime::process_facts(std::string_view extra) const {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0) name = {'?'};
    std::string data = "{\"version\":\"" TRADESTORE_VERSION "\",\"host\":";
    append_json_string(data, name.data());
    data += ",\"pid\":" + std::to_string(::getpid());
    data += extra;
    data += "}";
    return data;
}

void Runtime::stop() {
    // Reverse order of start: sources stop taking work and wait for their in-flight batches,
    // then the pipeline drains, jobs stop, and the store closes.
    for (auto it = started_sources_.rbegin(); it != started_sources_.rend(); ++it) {
        try {
            it->second->stop();
            log(LogLevel::Info, "source " + it->first + " stopped");
        } catch (const std::exception& error) {
            log(LogLevel::Error, "source " + it->first + " failed to stop: " + error.what());
        }
    }
    started_sources_.clear();
    if (pipeline_) pipeline_->stop();
    if (running_) {
        running_ = false;
        const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - started_at_);
        host_->emit_event("STOPPED", EventSeverity::Info,
                          process_facts(",\"uptime_seconds\":" + std::to_string(uptime.count())));
    }
    // STOPPED into the store's event outbox, before the jobs' last run ships from it.
    if (host_ && store_open_) host_->flush_event_outbox(kEventFlushBudget);
    if (scheduler_) {
        scheduler_->stop();
        // Before the store closes: the jobs' last chance to ship (STOPPED among it).
        scheduler_->finish();
    }
    // What those last runs emitted waits in the store for the next start (one attempt).
    if (host_ && store_open_) host_->flush_event_outbox(std::chrono::milliseconds{0});
    if (store_ && store_open_) {
        try {
            store_->close();
            log(LogLevel::Info, "store closed");
        } catch (const std::exception& error) {
            log(LogLevel::Error, std::string("store failed to close: ") + error.what());
        }
        store_open_ = false;
    }
}

void Runtime::reload(const DeploymentPlan& fresh) {
    const auto find = [](const DeploymentPlan& plan, const std::string& name) {
        const auto it = std::find_if(plan.plugins.begin(), plan.plugins.end(), [&](const auto& p) {
            return p.plugin->descriptor().name == name;
        });
        return it == plan.plugins.end() ? nullptr : &*it;
    };
    if (!(fresh.kernel == plan_.kernel)) {
        log(LogLevel::Warning,
            "reload: [kernel] settings changed; they take effect at the next "
            "restart (needs restart)");
    }
    for (const auto& planned : fresh.plugins) {
        const std::string& name = planned.plugin->descriptor().name;
        const PlannedPlugin* running = find(plan_, name);
        if (running == nullptr) {
            log(LogLevel::Warning, "reload: plugin " + name + " is new (needs restart)");
        } else if (!planned.plugin->has_kind(kSourcePlugin) &&
                   planned.settings.values() != running->settings.values()) {
            log(LogLevel::Warning, "reload: [plugin." + name + "] changed (needs restart)");
        }
    }
    for (const auto& [name, source] : started_sources_) {
        const PlannedPlugin* planned = find(fresh, name);
        if (planned == nullptr) {
            log(LogLevel::Warning, "reload: source " + name + " left the config (needs restart)");
            continue;
        }
        try {
            // Called even when the settings read the same: a file they name (a JWT key, a
            // certificate) may have changed.
            source->reload(planned->settings);
            log(LogLevel::Info, "reload: source " + name + " has the new settings");
        } catch (const std::exception& error) {
            log(LogLevel::Error, "reload: source " + name + " kept its settings: " + error.what());
        }
    }
}

}  // namespace tradestore::kernel
