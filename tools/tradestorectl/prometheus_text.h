// Reading the Prometheus text format of GET /metrics, enough for the CLI's summary: samples
// with their labels, and quantiles estimated from histogram buckets.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore::ctl {

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

std::vector<Sample> parse_prometheus_text(std::string_view text);

// Sum of the samples named `name` whose labels include every pair of `match`.
double sum_of(const std::vector<Sample>& samples, std::string_view name,
              const std::map<std::string, std::string>& match = {});

// The q-quantile (0..1) of histogram `name` (its _bucket samples matching `match`), linearly
// interpolated within the bucket as Prometheus' histogram_quantile does; nullopt when empty.
std::optional<double> histogram_quantile(const std::vector<Sample>& samples, std::string_view name,
                                         double q,
                                         const std::map<std::string, std::string>& match = {});

}  // namespace tradestore::ctl
