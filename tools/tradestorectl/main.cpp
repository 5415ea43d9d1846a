// tradestorectl: the operator's view of a running tradestored over its HTTP API.
//   health | stats | metrics | expire | import FILE [--format jsonl|csv] [--batch-size N]
//   history ID | snapshot [--book B] --as-of T [--format jsonl|csv]
#include <Poco/DigestEngine.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <thread>

#include "prometheus_text.h"
#include "trade_export.h"
#include "trade_import.h"

namespace tradestore::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;   // the daemon could not be reached, or answered an error
constexpr int kExitNotAll = 2;  // import: some lines were rejected or failed; health: not ready

const char* const kUsage =
    "usage: tradestorectl [--url URL] [--token TOKEN] COMMAND\n"
    "  health                      health, readiness and liveness (exit 2 when not ready)\n"
    "  stats                       trade counts\n"
    "  metrics                     summary of GET /metrics (requests, latencies, trades)\n"
    "  expire                      run the expiry now\n"
    "  import FILE [--format jsonl|csv] [--batch-size N]\n"
    "                              send trades through POST /api/v1/trades/batch\n"
    "  history ID                  every version of a trade, oldest first, as JSON lines\n"
    "  snapshot [--book B] --as-of T [--format jsonl|csv]\n"
    "                              every trade (or a book's) as recorded at T (RFC 3339, or a\n"
    "                              business date: its close), streamed page by page\n"
    "URL defaults to $TRADESTORE_URL or http://127.0.0.1:8080; TOKEN (for /metrics) to\n"
    "$TRADESTORE_METRICS_TOKEN. FILE - reads standard input.\n";

struct Answer {
    int status = 0;
    std::string body;
    std::string retry_after;
};

class Client {
  public:
    Client(const std::string& url, std::string token) : token_(std::move(token)) {
        const Poco::URI uri(url);
        session_ = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
        session_->setTimeout(Poco::Timespan(60, 0));
        session_->setKeepAlive(true);
    }

    Answer send(const std::string& method, const std::string& path, const std::string& body = {},
                const std::string& idempotency_key = {}) {
        for (int attempt = 0;; ++attempt) {
            try {
                Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
                request.setKeepAlive(true);
                if (!token_.empty() && path == "/metrics") {
                    request.set("Authorization", "Bearer " + token_);
                }
                if (!idempotency_key.empty()) request.set("Idempotency-Key", idempotency_key);
                if (method == "POST") {
                    request.setContentType("application/json");
                    request.setContentLength(static_cast<std::streamsize>(body.size()));
                }
                session_->sendRequest(request) << body;
                Poco::Net::HTTPResponse response;
                std::istream& in = session_->receiveResponse(response);
                Answer answer;
                answer.body.assign(std::istreambuf_iterator<char>(in), {});
                answer.status = static_cast<int>(response.getStatus());
                answer.retry_after = response.get("Retry-After", "");
                return answer;
            } catch (const Poco::Exception&) {
                session_->reset();
                if (attempt == 1) throw;  // one reconnect, for a closed keep-alive connection
            }
        }
    }

  private:
    std::unique_ptr<Poco::Net::HTTPClientSession> session_;
    std::string token_;
};

std::string detail_of(const Answer& answer) {
    rapidjson::Document document;
    document.Parse(answer.body.c_str(), answer.body.size());
    if (!document.HasParseError() && document.IsObject() && document.HasMember("detail") &&
        document["detail"].IsString()) {
        return document["detail"].GetString();
    }
    return answer.body.substr(0, 200);
}

int fail(const std::string& what, const Answer& answer) {
    std::cerr << "tradestorectl: " << what << ": HTTP " << answer.status << ": "
              << detail_of(answer) << "\n";
    return kExitError;
}

int health(Client& client) {
    const Answer health = client.send("GET", "/api/v1/health");
    if (health.status != 200) return fail("GET /api/v1/health", health);
    rapidjson::Document document;
    document.Parse(health.body.c_str());
    if (document.HasParseError() || !document.IsObject()) return fail("GET /api/v1/health", health);
    std::cout << "status:   " << document["status"].GetString() << "\n";
    std::cout << "version:  " << document["version"].GetString() << "\n";
    for (const auto& service : document["services"].GetObject()) {
        std::cout << "service:  " << service.name.GetString() << " " << service.value.GetString()
                  << "\n";
    }
    const Answer live = client.send("GET", "/api/v1/health/live");
    std::cout << "live:     " << (live.status == 200 ? "yes" : "no") << "\n";
    const Answer ready = client.send("GET", "/api/v1/health/ready");
    std::cout << "ready:    " << (ready.status == 200 ? "yes" : "no (" + detail_of(ready) + ")")
              << "\n";
    return ready.status == 200 ? kExitOk : kExitNotAll;
}

int stats(Client& client) {
    const Answer answer = client.send("GET", "/api/v1/statistics");
    if (answer.status != 200) return fail("GET /api/v1/statistics", answer);
    rapidjson::Document document;
    document.Parse(answer.body.c_str());
    for (const char* key : {"total_trades", "active_trades", "expired_trades"}) {
        if (document.IsObject() && document.HasMember(key)) {
            std::cout << std::left << std::setw(16) << (std::string(key) + ":")
                      << document[key].GetInt64() << "\n";
        }
    }
    return kExitOk;
}

std::string milliseconds(std::optional<double> seconds) {
    if (!seconds) return "-";
    std::ostringstream out;
    out << std::fixed << std::setprecision(2) << *seconds * 1000 << " ms";
    return out.str();
}

int metrics(Client& client) {
    const Answer answer = client.send("GET", "/metrics");
    if (answer.status != 200) return fail("GET /metrics", answer);
    const std::vector<Sample> samples = parse_prometheus_text(answer.body);
    std::map<std::string, double> by_status;
    std::map<std::pair<std::string, std::string>, double> by_route;
    for (const Sample& sample : samples) {
        if (sample.name != "tradestore_http_requests_total") continue;
        by_status[sample.labels.at("status")] += sample.value;
        by_route[{sample.labels.at("method"), sample.labels.at("route")}] += sample.value;
    }
    std::cout << "HTTP requests by status:";
    for (const auto& [status, count] : by_status) std::cout << " " << status << "=" << count;
    std::cout << "\n\nHTTP latency by route        requests        p50        p95        p99\n";
    for (const auto& [route, count] : by_route) {
        const std::map<std::string, std::string> match = {{"method", route.first},
                                                          {"route", route.second}};
        const auto q = [&](double quantile) {
            return milliseconds(histogram_quantile(
                samples, "tradestore_http_request_duration_seconds", quantile, match));
        };
        std::cout << "  " << std::left << std::setw(34) << (route.first + " " + route.second)
                  << std::right << std::setw(8) << count << std::setw(11) << q(0.5) << std::setw(11)
                  << q(0.95) << std::setw(11) << q(0.99) << "\n";
    }
    std::cout << "\nTrades by source and outcome:\n";
    for (const Sample& sample : samples) {
        if (sample.name == "tradestore_trades_processed_total" && sample.value > 0) {
            std::cout << "  " << sample.labels.at("source") << " " << sample.labels.at("outcome")
                      << ": " << sample.value << "\n";
        }
    }
    std::cout << "Rejections by reason:\n";
    for (const Sample& sample : samples) {
        if (sample.name == "tradestore_rejections_total") {
            std::cout << "  " << sample.labels.at("reason") << ": " << sample.value << "\n";
        }
    }
    const auto batch_p50 = histogram_quantile(samples, "tradestore_store_batch_size", 0.5);
    std::cout << "\nStore: " << sum_of(samples, "tradestore_store_batch_size_count")
              << " transactions, batch size p50 " << (batch_p50 ? std::to_string(*batch_p50) : "-")
              << ", commit p50 "
              << milliseconds(
                     histogram_quantile(samples, "tradestore_store_commit_duration_seconds", 0.5))
              << ", p99 "
              << milliseconds(
                     histogram_quantile(samples, "tradestore_store_commit_duration_seconds", 0.99))
              << ", failed " << sum_of(samples, "tradestore_store_commit_failures_total") << "\n";
    std::cout << "Expiry: last run marked " << sum_of(samples, "tradestore_expiry_last_run_trades")
              << ", " << sum_of(samples, "tradestore_trades_expired_total") << " in all\n";
    std::cout << "Process: RSS " << std::fixed << std::setprecision(1)
              << sum_of(samples, "process_resident_memory_bytes") / (1024.0 * 1024.0)
              << " MiB, open connections " << std::setprecision(0)
              << sum_of(samples, "tradestore_http_open_connections") << ", open files "
              << sum_of(samples, "process_open_fds") << "\n";
    return kExitOk;
}

int expire(Client& client) {
    const Answer answer = client.send("POST", "/api/v1/expire-trades");
    if (answer.status != 200) return fail("POST /api/v1/expire-trades", answer);
    rapidjson::Document document;
    document.Parse(answer.body.c_str());
    std::cout << "expired " << document["trades_expired"].GetInt64() << " trade(s)\n";
    return kExitOk;
}

class Progress {
  public:
    Progress(std::uint64_t total_bytes, bool tty) : total_(total_bytes), tty_(tty) {}
    void show(std::uint64_t bytes, std::size_t lines) {
        const int percent =
            total_ == 0 ? 100
                        : static_cast<int>(std::min<std::uint64_t>(100, bytes * 100 / total_));
        if (!tty_ && percent < next_percent_) return;
        constexpr int kWidth = 30;
        const int filled = percent * kWidth / 100;
        std::cerr << (tty_ ? "\r" : "") << "[" << std::string(static_cast<std::size_t>(filled), '#')
                  << std::string(static_cast<std::size_t>(kWidth - filled), '.') << "] "
                  << std::setw(3) << percent << "% " << lines << " lines" << (tty_ ? "" : "\n")
                  << std::flush;
        next_percent_ = percent + 10;
    }
    void done() {
        if (tty_) std::cerr << "\n";
    }

  private:
    std::uint64_t total_;
    bool tty_;
    int next_percent_ = 0;
};

std::string sha256_hex(std::istream& in) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    std::array<char, 64 * 1024> buffer{};
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        engine.update(buffer.data(), static_cast<unsigned>(in.gcount()));
    }
    return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string sha256_hex(const std::string& text) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(text);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

int import(Client& client, const std::string& path, ImportFormat format, std::size_t batch_size) {
    std::ifstream file;
    std::istream* in = &std::cin;
    std::uint64_t total = 0;
    std::string content_sha256;  // of the whole file; empty for standard input
    if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) {
            std::cerr << "tradestorectl: cannot read " << path << "\n";
            return kExitError;
        }
        file.seekg(0, std::ios::end);
        total = static_cast<std::uint64_t>(file.tellg());
        file.seekg(0);
        content_sha256 = sha256_hex(file);
        file.clear();
        file.seekg(0);
        in = &file;
    }
    const auto started = std::chrono::steady_clock::now();
    TradeReader reader(*in, format);
    ImportSummary summary;
    Progress progress(total, isatty(STDERR_FILENO) != 0);
    std::vector<std::size_t> lines;
    std::string body;
    ImportItem item;
    bool more = true;
    for (std::size_t chunk = 0; more; ++chunk) {
        lines.clear();
        body = "[";
        while (lines.size() < batch_size && (more = reader.next(item, summary.failed))) {
            if (!lines.empty()) body.push_back(',');
            body += item.json;
            lines.push_back(item.line);
        }
        body.push_back(']');
        if (lines.empty()) break;
        const std::string key = import_chunk_key(
            content_sha256.empty() ? sha256_hex(body) : content_sha256, format, batch_size, chunk);
        Answer answer;
        for (int attempt = 0; attempt < 5; ++attempt) {
            answer = client.send("POST", "/api/v1/trades/batch", body, key);
            // 503: the store is down; 409: this chunk's key is still in flight (a timed-out
            // attempt): both are answered on a retry with the same key.
            if (answer.status != 503 && answer.status != 409) break;
            std::this_thread::sleep_for(std::chrono::seconds(1 << attempt));
        }
        std::string error;
        if (answer.status != 200 || !apply_batch_answer(answer.body, lines, summary, error)) {
            const std::string reason = "not sent: HTTP " + std::to_string(answer.status) + ": " +
                                       (error.empty() ? detail_of(answer) : error);
            for (std::size_t line : lines) summary.failed.push_back({line, reason});
        }
        summary.lines += lines.size();
        progress.show(reader.bytes_read(), summary.lines);
    }
    progress.show(total, summary.lines);
    progress.done();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << "imported " << (path == "-" ? "standard input" : path) << ": " << summary.lines
              << " trades sent in " << std::fixed << std::setprecision(1) << seconds << " s\n"
              << format_summary(summary);
    return summary.rejected == 0 && summary.failed.empty() ? kExitOk : kExitNotAll;
}

// A path segment or query value, percent-encoded ('+' too, which a query would read as ' ').
std::string encoded(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "?#/&+=%;,", out);
    return out;
}

// The JSON array answered to a GET, or nullopt after saying why not.
std::optional<rapidjson::Document> get_json(Client& client, const std::string& path) {
    const Answer answer = client.send("GET", path);
    if (answer.status != 200) {
        fail("GET " + path, answer);
        return std::nullopt;
    }
    rapidjson::Document document;
    document.Parse(answer.body.c_str(), answer.body.size());
    if (document.HasParseError()) {
        fail("GET " + path + ": not JSON", answer);
        return std::nullopt;
    }
    return document;
}

constexpr int kExportPage = 1000;

// How far an export has come, on standard error when it is a terminal (a pipe or a file gets
// nothing): a count, rewritten in place after every page, since the total is not known.
class ExportCount {
  public:
    explicit ExportCount(const char* what) : what_(what), tty_(isatty(STDERR_FILENO) != 0) {}
    ExportCount(const ExportCount&) = delete;
    ExportCount& operator=(const ExportCount&) = delete;
    ~ExportCount() {
        if (tty_ && count_ > 0) std::cerr << "\n";
    }
    void add(std::size_t items) {
        count_ += items;
        if (tty_) std::cerr << "\rexported " << count_ << ' ' << what_ << std::flush;
    }

  private:
    const char* what_;
    bool tty_;
    std::size_t count_ = 0;
};

int history(Client& client, const std::string& trade_id) {
    ExportCount exported("version(s)");
    for (int skip = 0;; skip += kExportPage) {
        const auto page = get_json(client, "/api/v1/trades/" + encoded(trade_id) +
                                               "/history?skip=" + std::to_string(skip) +
                                               "&limit=" + std::to_string(kExportPage));
        if (!page || !page->IsObject() || !(*page)["items"].IsArray()) return kExitError;
        const auto& items = (*page)["items"].GetArray();
        for (const auto& item : items) write_json_line(std::cout, item);
        exported.add(items.Size());
        if (items.Size() < static_cast<unsigned>(kExportPage)) return kExitOk;
    }
}

// A book's snapshot is one answer; all trades come a page at a time, so memory stays flat.
int snapshot(Client& client, const std::string& book, const std::string& as_of,
             ExportFormat format) {
    if (format == ExportFormat::Csv) std::cout << kTradeCsvHeader << '\n';
    const auto write = [format](const rapidjson::Value& trades) {
        for (const auto& trade : trades.GetArray()) {
            if (format == ExportFormat::Csv) {
                write_trade_csv_row(std::cout, trade);
            } else {
                write_json_line(std::cout, trade);
            }
        }
    };
    const std::string when = "as_of=" + encoded(as_of);
    ExportCount exported("trade(s)");
    if (!book.empty()) {
        const auto trades = get_json(client, "/api/v1/trades/book/" + encoded(book) + "?" + when);
        if (!trades || !trades->IsArray()) return kExitError;
        write(*trades);
        exported.add(trades->Size());
        return kExitOk;
    }
    for (int skip = 0;; skip += kExportPage) {
        const auto trades =
            get_json(client, "/api/v1/trades?" + when + "&skip=" + std::to_string(skip) +
                                 "&limit=" + std::to_string(kExportPage));
        if (!trades || !trades->IsArray()) return kExitError;
        write(*trades);
        exported.add(trades->Size());
        if (trades->Size() < static_cast<unsigned>(kExportPage)) return kExitOk;
    }
}

int run(int argc, char** argv) {
    const char* env_url = std::getenv("TRADESTORE_URL");
    const char* env_token = std::getenv("TRADESTORE_METRICS_TOKEN");
    std::string url = env_url != nullptr ? env_url : "http://127.0.0.1:8080";
    std::string token = env_token != nullptr ? env_token : "";
    std::vector<std::string> args(argv + 1, argv + argc);
    std::vector<std::string> positional;
    std::string format_name;
    std::string book;
    std::string as_of;
    std::size_t batch_size = 500;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
            return args[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return kExitOk;
        } else if (arg == "--url") {
            url = value();
        } else if (arg == "--token") {
            token = value();
        } else if (arg == "--format") {
            format_name = value();
        } else if (arg == "--book") {
            book = value();
        } else if (arg == "--as-of") {
            as_of = value();
        } else if (arg == "--batch-size") {
            batch_size = static_cast<std::size_t>(std::stoul(value()));
            if (batch_size == 0) throw std::invalid_argument("--batch-size must be at least 1");
        } else {
            positional.push_back(arg);
        }
    }
    if (positional.empty()) {
        std::cerr << kUsage;
        return kExitError;
    }
    Client client(url, token);
    const std::string& command = positional[0];
    if (command == "health") return health(client);
    if (command == "stats") return stats(client);
    if (command == "metrics") return metrics(client);
    if (command == "expire") return expire(client);
    if (command == "history" && positional.size() == 2) return history(client, positional[1]);
    if (command == "snapshot" && positional.size() == 1) {
        if (as_of.empty()) throw std::invalid_argument("snapshot needs --as-of");
        if (format_name.empty()) format_name = "jsonl";
        if (format_name != "csv" && format_name != "jsonl") {
            throw std::invalid_argument("--format must be jsonl or csv");
        }
        return snapshot(client, book, as_of,
                        format_name == "csv" ? ExportFormat::Csv : ExportFormat::JsonLines);
    }
    if (command == "import" && positional.size() == 2) {
        const std::string& path = positional[1];
        if (format_name.empty()) format_name = path.ends_with(".csv") ? "csv" : "jsonl";
        if (format_name != "csv" && format_name != "jsonl") {
            throw std::invalid_argument("--format must be jsonl or csv");
        }
        return import(client, path,
                      format_name == "csv" ? ImportFormat::Csv : ImportFormat::JsonLines,
                      batch_size);
    }
    std::cerr << kUsage;
    return kExitError;
}

}  // namespace
}  // namespace tradestore::ctl

int main(int argc, char** argv) {
    try {
        return tradestore::ctl::run(argc, argv);
    } catch (const Poco::Exception& e) {
        std::cerr << "tradestorectl: " << e.displayText() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "tradestorectl: " << e.what() << "\n";
    }
    return 1;
}
