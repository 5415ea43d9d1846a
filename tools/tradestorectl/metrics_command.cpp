// metrics: a summary of GET /metrics (requests, latencies, trades, store, expiry, process).
#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>

#include "commands.h"
#include "json_output.h"
#include "number_format.h"
#include "prometheus_text.h"

namespace tradestore::ctl {
namespace {

struct RouteLatency {
    std::string method;
    std::string route;
    double requests = 0;
    std::optional<double> p50, p95, p99;  // seconds
};

struct MetricsSummary {
    std::map<std::string, double> requests_by_status;
    std::vector<RouteLatency> routes;
    std::vector<std::pair<std::string, std::string>> trade_keys;  // source, outcome
    std::vector<double> trade_counts;
    std::map<std::string, double> rejections;
    double transactions = 0;
    std::optional<double> batch_size_p50, commit_p50, commit_p99;
    double commit_failures = 0;
    double expiry_last_run = 0, expired_total = 0;
    double rss_bytes = 0, open_connections = 0, open_fds = 0;
};

std::string label(const Sample& sample, const char* name) {
    const auto found = sample.labels.find(name);
    return found == sample.labels.end() ? "" : found->second;
}

MetricsSummary summarise(const std::vector<Sample>& samples) {
    MetricsSummary s;
    std::map<std::pair<std::string, std::string>, double> by_route;
    for (const Sample& sample : samples) {
        if (sample.name == "tradestore_http_requests_total") {
            s.requests_by_status[label(sample, "status")] += sample.value;
            by_route[{label(sample, "method"), label(sample, "route")}] += sample.value;
        } else if (sample.name == "tradestore_trades_processed_total" && sample.value > 0) {
            s.trade_keys.emplace_back(label(sample, "source"), label(sample, "outcome"));
            s.trade_counts.push_back(sample.value);
        } else if (sample.name == "tradestore_rejections_total") {
            s.rejections[label(sample, "reason")] += sample.value;
        }
    }
    for (const auto& [route, count] : by_route) {
        const std::map<std::string, std::string> match = {{"method", route.first},
                                                          {"route", route.second}};
        const auto q = [&](double quantile) {
            return histogram_quantile(samples, "tradestore_http_request_duration_seconds", quantile,
                                      match);
        };
        s.routes.push_back({route.first, route.second, count, q(0.5), q(0.95), q(0.99)});
    }
    s.transactions = sum_of(samples, "tradestore_store_batch_size_count");
    s.batch_size_p50 = histogram_quantile(samples, "tradestore_store_batch_size", 0.5);
    s.commit_p50 = histogram_quantile(samples, "tradestore_store_commit_duration_seconds", 0.5);
    s.commit_p99 = histogram_quantile(samples, "tradestore_store_commit_duration_seconds", 0.99);
    s.commit_failures = sum_of(samples, "tradestore_store_commit_failures_total");
    s.expiry_last_run = sum_of(samples, "tradestore_expiry_last_run_trades");
    s.expired_total = sum_of(samples, "tradestore_trades_expired_total");
    s.rss_bytes = sum_of(samples, "process_resident_memory_bytes");
    s.open_connections = sum_of(samples, "tradestore_http_open_connections");
    s.open_fds = sum_of(samples, "process_open_fds");
    return s;
}

std::string milliseconds(std::optional<double> seconds) {
    return seconds ? format_number(*seconds * 1000) + " ms" : "-";
}

std::string maybe(std::optional<double> value) {
    return value ? format_number(*value) : "-";
}

rapidjson::Value json_milliseconds(std::optional<double> seconds) {
    return seconds ? json_number(std::round(*seconds * 1e6) / 1e3) : rapidjson::Value();
}

void print_metrics_text(const MetricsSummary& s) {
    std::cout << "HTTP requests by status:";
    for (const auto& [status, count] : s.requests_by_status) {
        std::cout << " " << status << "=" << format_number(count);
    }
    std::size_t width = 32;  // the route column, as wide as the longest route
    for (const RouteLatency& r : s.routes) {
        width = std::max(width, r.method.size() + 1 + r.route.size());
    }
    std::cout << "\n\n"
              << std::left << std::setw(static_cast<int>(width) + 2) << "HTTP latency by route"
              << std::right << std::setw(8) << "requests" << std::setw(11) << "p50" << std::setw(11)
              << "p95" << std::setw(11) << "p99"
              << "\n";
    for (const RouteLatency& r : s.routes) {
        std::cout << "  " << std::left << std::setw(static_cast<int>(width))
                  << (r.method + " " + r.route) << std::right << std::setw(8)
                  << format_number(r.requests) << std::setw(11) << milliseconds(r.p50)
                  << std::setw(11) << milliseconds(r.p95) << std::setw(11) << milliseconds(r.p99)
                  << "\n";
    }
    std::cout << "\nTrades by source and outcome:\n";
    for (std::size_t i = 0; i < s.trade_keys.size(); ++i) {
        std::cout << "  " << s.trade_keys[i].first << " " << s.trade_keys[i].second << ": "
                  << format_number(s.trade_counts[i]) << "\n";
    }
    std::cout << "Rejections by reason:\n";
    for (const auto& [reason, count] : s.rejections) {
        std::cout << "  " << reason << ": " << format_number(count) << "\n";
    }
    std::cout << "\nStore: " << format_number(s.transactions) << " transactions, batch size p50 "
              << maybe(s.batch_size_p50) << ", commit p50 " << milliseconds(s.commit_p50)
              << ", p99 " << milliseconds(s.commit_p99) << ", failed "
              << format_number(s.commit_failures) << "\n";
    std::cout << "Expiry: last run marked " << format_number(s.expiry_last_run) << ", "
              << format_number(s.expired_total) << " in all\n";
    std::cout << "Process: RSS " << format_number(s.rss_bytes / (1024.0 * 1024.0))
              << " MiB, open connections " << format_number(s.open_connections) << ", open files "
              << format_number(s.open_fds) << "\n";
}

void print_metrics_json(const MetricsSummary& s) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    const auto str = [&a](const std::string& text) { return rapidjson::Value(text.c_str(), a); };
    rapidjson::Value by_status(rapidjson::kObjectType);
    for (const auto& [status, count] : s.requests_by_status) {
        by_status.AddMember(str(status), json_number(count), a);
    }
    d.AddMember("requests_by_status", by_status, a);
    rapidjson::Value routes(rapidjson::kArrayType);
    for (const RouteLatency& r : s.routes) {
        rapidjson::Value route(rapidjson::kObjectType);
        route.AddMember("method", str(r.method), a);
        route.AddMember("route", str(r.route), a);
        route.AddMember("requests", json_number(r.requests), a);
        route.AddMember("p50_ms", json_milliseconds(r.p50), a);
        route.AddMember("p95_ms", json_milliseconds(r.p95), a);
        route.AddMember("p99_ms", json_milliseconds(r.p99), a);
        routes.PushBack(route, a);
    }
    d.AddMember("routes", routes, a);
    rapidjson::Value trades(rapidjson::kArrayType);
    for (std::size_t i = 0; i < s.trade_keys.size(); ++i) {
        rapidjson::Value trade(rapidjson::kObjectType);
        trade.AddMember("source", str(s.trade_keys[i].first), a);
        trade.AddMember("outcome", str(s.trade_keys[i].second), a);
        trade.AddMember("count", json_number(s.trade_counts[i]), a);
        trades.PushBack(trade, a);
    }
    d.AddMember("trades", trades, a);
    rapidjson::Value rejections(rapidjson::kObjectType);
    for (const auto& [reason, count] : s.rejections) {
        rejections.AddMember(str(reason), json_number(count), a);
    }
    d.AddMember("rejections_by_reason", rejections, a);
    rapidjson::Value store(rapidjson::kObjectType);
    store.AddMember("transactions", json_number(s.transactions), a);
    store.AddMember("batch_size_p50",
                    s.batch_size_p50 ? json_number(*s.batch_size_p50) : rapidjson::Value(), a);
    store.AddMember("commit_p50_ms", json_milliseconds(s.commit_p50), a);
    store.AddMember("commit_p99_ms", json_milliseconds(s.commit_p99), a);
    store.AddMember("commit_failures", json_number(s.commit_failures), a);
    d.AddMember("store", store, a);
    rapidjson::Value expiry(rapidjson::kObjectType);
    expiry.AddMember("last_run_trades", json_number(s.expiry_last_run), a);
    expiry.AddMember("expired_total", json_number(s.expired_total), a);
    d.AddMember("expiry", expiry, a);
    rapidjson::Value process(rapidjson::kObjectType);
    process.AddMember("resident_memory_bytes", json_number(s.rss_bytes), a);
    process.AddMember("open_connections", json_number(s.open_connections), a);
    process.AddMember("open_files", json_number(s.open_fds), a);
    d.AddMember("process", process, a);
    print_json(d);
}

}  // namespace

int metrics_command(Client& client, const Options& options) {
    const Answer answer = client.send("GET", "/metrics");
    if (answer.status != 200) return fail("GET /metrics", answer);
    const MetricsSummary summary = summarise(parse_prometheus_text(answer.body));
    if (options.json) {
        print_metrics_json(summary);
    } else {
        print_metrics_text(summary);
    }
    return kExitOk;
}

}  // namespace tradestore::ctl
