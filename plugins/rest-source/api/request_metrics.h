// Per-request metrics of the rest-source: requests by method, route template and status, and
// the latency histogram by method and route. Series are created on first use and then cached
// in fixed arrays indexed by route and status, so recording a request is two atomic loads and
// two relaxed atomic adds: no map lookup, lock or string building on the hot path.
#pragma once

#include <tradestore/metrics.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "router.h"

namespace tradestore::rest {

class RequestMetrics {
  public:
    explicit RequestMetrics(Metrics& metrics);

    // The slot of a request: its route (RouteMatch::route), or one of these.
    static std::size_t route_count();
    static std::size_t preflight_slot() { return route_count(); }
    static std::size_t unmatched_slot() { return route_count() + 1; }
    static std::size_t slot_of(const RouteMatch& match) {
        return match.kind == RouteMatch::Kind::Found ? match.route : unmatched_slot();
    }

    void record(std::size_t slot, int status, double seconds) noexcept;

    // Set at each scrape by the source: connections being served and waiting.
    Gauge& open_connections() { return open_connections_; }
    Gauge& queued_connections() { return queued_connections_; }

  private:
    static constexpr std::size_t kStatusSlots = 16;
    static std::size_t status_slot(int status) noexcept;

    Counter& make_counter(std::size_t slot, int status);
    Histogram& make_histogram(std::size_t slot);

    Metrics& metrics_;
    Gauge& open_connections_;
    Gauge& queued_connections_;
    std::vector<std::pair<std::string, std::string>> labels_;  // per slot: method, route
    std::unique_ptr<std::array<std::atomic<Counter*>, kStatusSlots>[]> requests_;
    std::unique_ptr<std::atomic<Histogram*>[]> latency_;
    std::mutex create_mutex_;
};

}  // namespace tradestore::rest
