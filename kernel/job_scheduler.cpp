#include "job_scheduler.h"

#include <algorithm>

namespace tradestore::kernel {

JobScheduler::JobScheduler(Host& host, ErrorLogger log_error)
    : host_(host), log_error_(std::move(log_error)) {}

JobScheduler::~JobScheduler() {
    stop();
}

void JobScheduler::add(std::string name, std::shared_ptr<Job> job) {
    const auto now = std::chrono::steady_clock::now();
    const auto first = job->run_at_start() ? now : now + job->interval();
    entries_.push_back({std::move(name), std::move(job), first});
}

void JobScheduler::start() {
    if (entries_.empty() || thread_.joinable()) return;
    thread_ = std::jthread([this] { loop(); });
}

void JobScheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void JobScheduler::finish() {
    for (Entry& entry : entries_) {
        try {
            entry.job->finish(host_);
        } catch (const std::exception& error) {
            log_error_(entry.name, std::string("at shutdown: ") + error.what());
        } catch (...) {
            log_error_(entry.name, "at shutdown: unknown error");
        }
    }
    entries_.clear();
}

void JobScheduler::loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto due = std::min_element(
            entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return a.next_run < b.next_run; });
        if (wake_.wait_until(lock, due->next_run, [this] { return stopping_; })) break;
        if (std::chrono::steady_clock::now() < due->next_run) continue;
        lock.unlock();
        try {
            // With several instances on one database, only the one that claims this period runs.
            // The claim is per business date too: a deployment restarted on a new business
            // date (a replay, a fixed test date) runs its jobs again at once.
            const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
            const std::int64_t period = since_epoch / due->job->interval();
            const std::string claim = due->name + "@" + format_date(host_.clock().today());
            JobClaims* claims = host_.capabilities().job_claims;
            if (claims == nullptr || claims->claim_job_run(claim, period)) {
                due->job->run(host_);
            }
        } catch (const std::exception& error) {
            log_error_(due->name, error.what());
        } catch (...) {
            log_error_(due->name, "unknown error");
        }
        lock.lock();
        due->next_run = std::chrono::steady_clock::now() + due->job->interval();
    }
}

}  // namespace tradestore::kernel
