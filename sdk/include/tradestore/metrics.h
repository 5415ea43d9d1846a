// Metrics a plugin records and the kernel exposes (GET /metrics, Prometheus text format).
//
// A plugin asks Host::metrics() for its handles once, at start, and keeps the references:
// recording is then a relaxed atomic add on the handle, with no lookup, lock or allocation.
// The kernel owns every handle; a reference stays valid as long as the kernel runs, which is
// longer than any plugin object. Asking again for the same name and labels returns the same
// handle, so several plugin objects may share one series.
//
// Names follow Prometheus conventions: [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in "_total",
// units are base units ("_seconds", "_bytes"). The kernel throws std::invalid_argument for a
// bad name or label, or when a name is asked for with another type, help or buckets.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradestore {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count.
class Counter {
  public:
    Counter() = default;
    Counter(const Counter&) = delete;
    Counter& operator=(const Counter&) = delete;

    void inc(std::uint64_t amount = 1) noexcept {
        value_.fetch_add(amount, std::memory_order_relaxed);
    }
    std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
  public:
    Gauge() = default;
    Gauge(const Gauge&) = delete;
    Gauge& operator=(const Gauge&) = delete;

    void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
    void add(double amount) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<double> value_{0.0};
};

// Observations counted into buckets with fixed upper bounds (ascending; +Inf is implicit).
class Histogram {
  public:
    explicit Histogram(std::span<const double> upper_bounds)
        : bounds_(upper_bounds.begin(), upper_bounds.end()),
          buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}
    Histogram(const Histogram&) = delete;
    Histogram& operator=(const Histogram&) = delete;

    void observe(double value) noexcept {
        std::size_t bucket = 0;
        while (bucket < bounds_.size() && value > bounds_[bucket]) ++bucket;
        buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
        sum_.fetch_add(value, std::memory_order_relaxed);
    }

    const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
    // Observations in bucket i alone (not cumulative); index upper_bounds().size() is +Inf.
    std::uint64_t bucket_count(std::size_t i) const noexcept {
        return buckets_[i].load(std::memory_order_relaxed);
    }
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
    std::atomic<double> sum_{0.0};
};

class Metrics {
  public:
    virtual ~Metrics() = default;

    virtual Counter& counter(std::string_view name, std::string_view help,
                             const MetricLabels& labels = {}) = 0;
    virtual Gauge& gauge(std::string_view name, std::string_view help,
                         const MetricLabels& labels = {}) = 0;
    virtual Histogram& histogram(std::string_view name, std::string_view help,
                                 std::span<const double> upper_bounds,
                                 const MetricLabels& labels = {}) = 0;

    // Every metric of the process in the Prometheus text exposition format 0.0.4.
    virtual std::string render_prometheus() = 0;
};

// Bucket bounds for request and commit latencies, in seconds.
inline constexpr double kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                             1.0,    2.5,     5.0,    10.0};

// A Metrics that records into handles of its own and renders nothing: the default of
// Host::metrics() for hosts that expose no metrics (test fakes).
class DiscardingMetrics final : public Metrics {
  public:
    Counter& counter(std::string_view, std::string_view, const MetricLabels&) override {
        return counter_;
    }
    Gauge& gauge(std::string_view, std::string_view, const MetricLabels&) override {
        return gauge_;
    }
    Histogram& histogram(std::string_view, std::string_view, std::span<const double>,
                         const MetricLabels&) override {
        return histogram_;
    }
    std::string render_prometheus() override { return {}; }

  private:
    Counter counter_;
    Gauge gauge_;
    Histogram histogram_{std::span<const double>{}};
};

}  // namespace tradestore
