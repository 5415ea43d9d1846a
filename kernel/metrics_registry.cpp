#include "metrics_registry.h"

#include <prometheus/check_names.h>
#include <prometheus/gauge.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tradestore::kernel {

namespace {

MetricLabels sorted(const MetricLabels& labels) {
    MetricLabels copy = labels;
    std::sort(copy.begin(), copy.end());
    return copy;
}

void check_labels(std::string_view name, const MetricLabels& labels) {
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::string& label = labels[i].first;
        if (!prometheus::CheckLabelName(label) || label == "le" || label == "quantile")
            throw std::invalid_argument("metric " + std::string(name) + ": bad label name '" +
                                        label + "'");
        if (i > 0 && labels[i - 1].first == label)
            throw std::invalid_argument("metric " + std::string(name) + ": label '" + label +
                                        "' given twice");
    }
}

std::vector<prometheus::ClientMetric::Label> to_labels(const MetricLabels& labels) {
    std::vector<prometheus::ClientMetric::Label> out;
    out.reserve(labels.size());
    for (const auto& [name, value] : labels) out.push_back({name, value});
    return out;
}

double clock_ticks_to_seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

// Field 22 of /proc/self/stat: start time in clock ticks after boot.
double process_start_time_seconds() {
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i) {
        if (i != 22) continue;
        std::ifstream uptime_file("/proc/uptime");
        double uptime = 0;
        uptime_file >> uptime;
        const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
        const double started_after_boot = std::stod(field) / ticks;
        const double now =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        return std::floor(now - uptime + started_after_boot);
    }
    return 0;
}

prometheus::MetricFamily gauge_family(std::string name, std::string help, double value,
                                      prometheus::MetricType type = prometheus::MetricType::Gauge) {
    prometheus::MetricFamily family;
    family.name = std::move(name);
    family.help = std::move(help);
    family.type = type;
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter) {
        metric.counter.value = value;
    } else {
        metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
    return family;
}

// The process metrics every Prometheus client library exports, under their usual names.
std::vector<prometheus::MetricFamily> process_families() {
    std::vector<prometheus::MetricFamily> families;
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    families.push_back(gauge_family(
        "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        clock_ticks_to_seconds(usage.ru_utime) + clock_ticks_to_seconds(usage.ru_stime),
        prometheus::MetricType::Counter));
    std::size_t open_fds = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++open_fds;
    families.push_back(gauge_family("process_open_fds", "Number of open file descriptors.",
                                    static_cast<double>(open_fds)));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        families.push_back(gauge_family("process_max_fds",
                                        "Maximum number of open file descriptors.",
                                        static_cast<double>(limit.rlim_cur)));
    }
    families.push_back(gauge_family("process_resident_memory_bytes",
                                    "Resident memory size in bytes.", process_resident_bytes()));
    static const double started = process_start_time_seconds();
    families.push_back(gauge_family("process_start_time_seconds",
                                    "Start time of the process since unix epoch in seconds.",
                                    started));
    return families;
}

}  // namespace

double process_resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    double size = 0;
    double resident = 0;
    if (!(statm >> size >> resident)) return 0;
    return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

MetricsRegistry::MetricsRegistry() : native_(std::make_shared<prometheus::Registry>()) {
    prometheus::BuildGauge()
        .Name("tradestore_build_info")
        .Help("Always 1; the labels name the running tradestored build.")
        .Register(*native_)
        .Add({{"version", TRADESTORE_VERSION}})
        .Set(1);
}

MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 Kind kind, std::span<const double> bounds,
                                                 const MetricLabels& labels) {
    const MetricLabels key = sorted(labels);
    check_labels(name, key);
    std::lock_guard lock(mutex_);
    auto it = families_.find(name);
    if (it == families_.end()) {
        if (!prometheus::CheckMetricName(std::string(name)))
            throw std::invalid_argument("bad metric name '" + std::string(name) + "'");
        if (kind == Kind::Counter && !name.ends_with("_total"))
            throw std::invalid_argument("counter " + std::string(name) + " must end in _total");
        if (!std::is_sorted(bounds.begin(), bounds.end()) ||
            std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end())
            throw std::invalid_argument("histogram " + std::string(name) +
                                        ": bucket bounds must ascend strictly");
        it = families_
                 .emplace(std::string(name),
                          Family{kind, std::string(help), {bounds.begin(), bounds.end()}, {}})
                 .first;
    } else {
        const Family& family = it->second;
        if (family.kind != kind || family.help != help ||
            !std::equal(bounds.begin(), bounds.end(), family.bounds.begin(), family.bounds.end()))
            throw std::invalid_argument("metric " + std::string(name) +
                                        " is already registered with another type, help or "
                                        "buckets");
    }
    Family& family = it->second;
    for (Series& existing : family.series) {
        if (existing.labels == key) return existing;
    }
    Series& created = family.series.emplace_back();
    created.labels = key;
    switch (kind) {
        case Kind::Counter:
            created.counter = std::make_unique<Counter>();
            break;
        case Kind::Gauge:
            created.gauge = std::make_unique<Gauge>();
            break;
        case Kind::Histogram:
            created.histogram = std::make_unique<Histogram>(bounds);
            break;
    }
    return created;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const MetricLabels& labels) {
    return *series(name, help, Kind::Counter, {}, labels).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help,
                              const MetricLabels& labels) {
    return *series(name, help, Kind::Gauge, {}, labels).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      std::span<const double> upper_bounds,
                                      const MetricLabels& labels) {
    return *series(name, help, Kind::Histogram, upper_bounds, labels).histogram;
}

std::vector<prometheus::MetricFamily> MetricsRegistry::collect() {
    std::vector<prometheus::MetricFamily> out;
    {
        std::lock_guard lock(mutex_);
        out.reserve(families_.size() + 8);
        for (const auto& [name, family] : families_) {
            prometheus::MetricFamily& rendered = out.emplace_back();
            rendered.name = name;
            rendered.help = family.help;
            rendered.type = family.kind == Kind::Counter ? prometheus::MetricType::Counter
                            : family.kind == Kind::Gauge ? prometheus::MetricType::Gauge
                                                         : prometheus::MetricType::Histogram;
            for (const Series& series : family.series) {
                prometheus::ClientMetric& metric = rendered.metric.emplace_back();
                metric.label = to_labels(series.labels);
                if (series.counter) {
                    metric.counter.value = static_cast<double>(series.counter->value());
                } else if (series.gauge) {
                    metric.gauge.value = series.gauge->value();
                } else {
                    const Histogram& histogram = *series.histogram;
                    std::uint64_t cumulative = 0;
                    const auto& bounds = histogram.upper_bounds();
                    for (std::size_t i = 0; i <= bounds.size(); ++i) {
                        cumulative += histogram.bucket_count(i);
                        metric.histogram.bucket.push_back(
                            {cumulative, i < bounds.size()
                                             ? bounds[i]
                                             : std::numeric_limits<double>::infinity()});
                    }
                    metric.histogram.sample_count = cumulative;
                    metric.histogram.sample_sum = histogram.sum();
                }
            }
        }
    }
    for (auto& family : native_->Collect()) out.push_back(std::move(family));
    for (auto& family : process_families()) out.push_back(std::move(family));
    return out;
}

std::string MetricsRegistry::render_prometheus() {
    return prometheus::TextSerializer().Serialize(collect());
}

}  // namespace tradestore::kernel
