#include "request_metrics.h"

namespace tradestore::rest {
namespace {

// Statuses the source answers; anything else is counted under its class ("2xx", ...).
constexpr int kStatuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 413, 415, 422, 500, 503};

}  // namespace

std::size_t RequestMetrics::route_count() {
    return api_routes().size() + service_routes().size();
}

std::size_t RequestMetrics::status_slot(int status) noexcept {
    for (std::size_t i = 0; i < std::size(kStatuses); ++i) {
        if (kStatuses[i] == status) return i;
    }
    return std::size(kStatuses) + (status >= 500 ? 1 : 0);  // "other" slots: 4xx/other, 5xx
}

RequestMetrics::RequestMetrics(Metrics& metrics)
    : metrics_(metrics),
      open_connections_(metrics.gauge("tradestore_http_open_connections",
                                      "Open HTTP connections (idle keep-alive ones included).")),
      queued_connections_(metrics.gauge("tradestore_http_queued_connections",
                                        "Complete HTTP requests waiting for a free worker.")) {
    static_assert(std::size(kStatuses) + 2 <= kStatusSlots);
    const std::size_t slots = route_count() + 2;
    for (const ApiRoute& route : api_routes()) {
        labels_.emplace_back(std::string(route.method),
                             std::string(kApiPrefix) + std::string(route.path));
    }
    for (const ServiceRoute& route : service_routes()) {
        labels_.emplace_back("GET", route.endpoint == Endpoint::DocsAsset
                                        ? "/docs/{file}"
                                        : std::string(route.path));
    }
    labels_.emplace_back("OPTIONS", "preflight");
    labels_.emplace_back("other", "unmatched");
    requests_ = std::make_unique<std::array<std::atomic<Counter*>, kStatusSlots>[]>(slots);
    latency_ = std::make_unique<std::atomic<Histogram*>[]>(slots);
}

Counter& RequestMetrics::make_counter(std::size_t slot, int status) {
    std::lock_guard lock(create_mutex_);
    const std::size_t index = status_slot(status);
    std::string code = index < std::size(kStatuses) ? std::to_string(status)
                       : status >= 500              ? "5xx"
                                                    : "other";
    Counter& counter =
        metrics_.counter("tradestore_http_requests_total",
                         "HTTP requests answered, by method, route template and status.",
                         {{"method", labels_[slot].first},
                          {"route", labels_[slot].second},
                          {"status", std::move(code)}});
    requests_[slot][index].store(&counter, std::memory_order_release);
    return counter;
}

Histogram& RequestMetrics::make_histogram(std::size_t slot) {
    std::lock_guard lock(create_mutex_);
    Histogram& histogram = metrics_.histogram(
        "tradestore_http_request_duration_seconds",
        "Time from reading a request's header to its answer sent, by method and route.",
        kLatencyBuckets, {{"method", labels_[slot].first}, {"route", labels_[slot].second}});
    latency_[slot].store(&histogram, std::memory_order_release);
    return histogram;
}

void RequestMetrics::record(std::size_t slot, int status, double seconds) noexcept {
    if (slot >= labels_.size()) slot = unmatched_slot();
    try {
        Counter* counter = requests_[slot][status_slot(status)].load(std::memory_order_acquire);
        if (counter == nullptr) counter = &make_counter(slot, status);
        counter->inc();
        Histogram* histogram = latency_[slot].load(std::memory_order_acquire);
        if (histogram == nullptr) histogram = &make_histogram(slot);
        histogram->observe(seconds);
    } catch (...) {
        // Registering a series can only fail on a bad name, which tests rule out; never let
        // metrics break an answer.
    }
}

}  // namespace tradestore::rest
