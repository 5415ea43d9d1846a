// The kernel's metrics: the SDK's Metrics interface on prometheus-cpp. Plugins and the kernel
// record into SDK handles (relaxed atomics) that this registry owns; a scrape turns them, the
// kernel's own prometheus-cpp families (build info) and the process metrics (RSS, CPU, open
// files) into prometheus-cpp metric families and renders them with its text serializer.
#pragma once

#include <tradestore/metrics.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace prometheus {
class Registry;
struct MetricFamily;
}  // namespace prometheus

namespace tradestore::kernel {

class MetricsRegistry final : public Metrics {
  public:
    MetricsRegistry();
    ~MetricsRegistry() override;

    Counter& counter(std::string_view name, std::string_view help,
                     const MetricLabels& labels = {}) override;
    Gauge& gauge(std::string_view name, std::string_view help,
                 const MetricLabels& labels = {}) override;
    Histogram& histogram(std::string_view name, std::string_view help,
                         std::span<const double> upper_bounds,
                         const MetricLabels& labels = {}) override;
    std::string render_prometheus() override;

    // The families as prometheus-cpp sees them (for tests and the renderer).
    std::vector<prometheus::MetricFamily> collect();

  private:
    enum class Kind : std::uint8_t { Counter, Gauge, Histogram };
    struct Series {
        MetricLabels labels;  // sorted by name
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };
    struct Family {
        Kind kind;
        std::string help;
        std::vector<double> bounds;
        std::vector<Series> series;
    };

    Series& series(std::string_view name, std::string_view help, Kind kind,
                   std::span<const double> bounds, const MetricLabels& labels);

    std::mutex mutex_;
    std::map<std::string, Family, std::less<>> families_;
    std::shared_ptr<prometheus::Registry> native_;
};

// Resident set size of this process in bytes, 0 when /proc cannot be read.
double process_resident_bytes();

}  // namespace tradestore::kernel
