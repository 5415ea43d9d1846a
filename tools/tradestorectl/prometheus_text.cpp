#include "prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace tradestore::ctl {

namespace {

bool matches(const Sample& sample, std::string_view name,
             const std::map<std::string, std::string>& match) {
    if (sample.name != name) return false;
    for (const auto& [key, value] : match) {
        auto it = sample.labels.find(key);
        if (it == sample.labels.end() || it->second != value) return false;
    }
    return true;
}

double parse_value(std::string_view text) {
    if (text == "+Inf") return std::numeric_limits<double>::infinity();
    if (text == "-Inf") return -std::numeric_limits<double>::infinity();
    return std::strtod(std::string(text).c_str(), nullptr);
}

}  // namespace

std::vector<Sample> parse_prometheus_text(std::string_view text) {
    std::vector<Sample> samples;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        if (line.empty() || line.front() == '#') continue;
        Sample sample;
        std::size_t at = line.find_first_of("{ ");
        if (at == std::string_view::npos) continue;
        sample.name = std::string(line.substr(0, at));
        if (line[at] == '{') {
            ++at;
            while (at < line.size() && line[at] != '}') {
                const std::size_t eq = line.find('=', at);
                if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"')
                    break;
                std::string key(line.substr(at, eq - at));
                std::string value;
                std::size_t i = eq + 2;
                for (; i < line.size() && line[i] != '"'; ++i) {
                    if (line[i] == '\\' && i + 1 < line.size()) {
                        ++i;
                        value.push_back(line[i] == 'n' ? '\n' : line[i]);
                    } else {
                        value.push_back(line[i]);
                    }
                }
                sample.labels.emplace(std::move(key), std::move(value));
                at = i + 1;
                if (at < line.size() && line[at] == ',') ++at;
            }
            at = line.find(' ', at);
            if (at == std::string_view::npos) continue;
        }
        std::string_view rest = line.substr(at + 1);
        rest = rest.substr(0, rest.find(' '));  // drop a timestamp
        sample.value = parse_value(rest);
        samples.push_back(std::move(sample));
    }
    return samples;
}

double sum_of(const std::vector<Sample>& samples, std::string_view name,
              const std::map<std::string, std::string>& match) {
    double total = 0;
    for (const Sample& sample : samples) {
        if (matches(sample, name, match)) total += sample.value;
    }
    return total;
}

std::optional<double> histogram_quantile(const std::vector<Sample>& samples, std::string_view name,
                                         double q,
                                         const std::map<std::string, std::string>& match) {
    // Buckets of every matching series, summed per upper bound.
    std::map<double, double> buckets;
    const std::string bucket_name = std::string(name) + "_bucket";
    for (const Sample& sample : samples) {
        if (!matches(sample, bucket_name, match)) continue;
        auto le = sample.labels.find("le");
        if (le == sample.labels.end()) continue;
        buckets[parse_value(le->second)] += sample.value;
    }
    if (buckets.empty()) return std::nullopt;
    const double total = buckets.rbegin()->second;
    if (total <= 0) return std::nullopt;
    const double rank = q * total;
    double lower_bound = 0;
    double lower_count = 0;
    for (const auto& [bound, count] : buckets) {
        if (count >= rank) {
            if (std::isinf(bound)) return lower_bound;  // beyond the last finite bucket
            const double in_bucket = count - lower_count;
            if (in_bucket <= 0) return bound;
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / in_bucket;
        }
        lower_bound = bound;
        lower_count = count;
    }
    return lower_bound;
}

}  // namespace tradestore::ctl
