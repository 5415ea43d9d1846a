// import FILE: trades from JSON lines or CSV, sent in chunks through POST /api/v1/trades/batch
// with an Idempotency-Key per chunk, and a summary counted from the server's per-item outcomes.
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <thread>

#include "commands.h"
#include "json_output.h"
#include "number_format.h"
#include "terminal_progress.h"
#include "trade_import.h"

namespace tradestore::ctl {
namespace {

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

void print_summary_json(const std::string& source, double seconds, const ImportSummary& summary) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    const auto count = [](std::size_t n) {
        return rapidjson::Value(static_cast<std::uint64_t>(n));
    };
    d.AddMember("file", rapidjson::Value(source.c_str(), a), a);
    d.AddMember("seconds", json_number(std::round(seconds * 1000) / 1000), a);
    d.AddMember("sent", count(summary.sent), a);
    rapidjson::Value accepted(rapidjson::kObjectType);
    accepted.AddMember("total", count(summary.accepted_total()), a);
    for (const auto& [outcome, n] : summary.accepted) {
        accepted.AddMember(rapidjson::Value(outcome.c_str(), a), count(n), a);
    }
    d.AddMember("accepted", accepted, a);
    rapidjson::Value rejected(rapidjson::kObjectType);
    rejected.AddMember("total", count(summary.rejected), a);
    rapidjson::Value reasons(rapidjson::kObjectType);
    for (const auto& [reason, n] : summary.rejected_by_reason) {
        reasons.AddMember(rapidjson::Value(reason.c_str(), a), count(n), a);
    }
    rejected.AddMember("by_reason", reasons, a);
    d.AddMember("rejected", rejected, a);
    std::vector<FailedLine> failed = summary.failed;
    std::stable_sort(failed.begin(), failed.end(),
                     [](const FailedLine& x, const FailedLine& y) { return x.line < y.line; });
    rapidjson::Value failures(rapidjson::kObjectType);
    failures.AddMember("total", count(failed.size()), a);
    rapidjson::Value lines(rapidjson::kArrayType);
    for (const FailedLine& line : failed) {
        rapidjson::Value entry(rapidjson::kObjectType);
        entry.AddMember("line", count(line.line), a);
        entry.AddMember("reason", rapidjson::Value(line.reason.c_str(), a), a);
        lines.PushBack(entry, a);
    }
    failures.AddMember("lines", lines, a);
    d.AddMember("failed", failures, a);
    print_json(d);
}

}  // namespace

int import_command(Client& client, const Options& options) {
    const std::string& path = options.positional.at(1);
    std::string format_name = options.format;
    if (format_name.empty()) format_name = path.ends_with(".csv") ? "csv" : "jsonl";
    if (format_name != "csv" && format_name != "jsonl") {
        throw UsageError("--format must be jsonl or csv, not '" + format_name + "'");
    }
    const ImportFormat format = format_name == "csv" ? ImportFormat::Csv : ImportFormat::JsonLines;
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
    const std::string source = path == "-" ? "standard input" : path;
    const auto started = std::chrono::steady_clock::now();
    TradeReader reader(*in, format);
    ImportSummary summary;
    TerminalProgress progress;
    std::vector<std::size_t> lines;
    std::string body;
    ImportItem item;
    bool more = true;
    for (std::size_t chunk = 0; more; ++chunk) {
        lines.clear();
        body = "[";
        while (lines.size() < options.batch_size && (more = reader.next(item, summary.failed))) {
            if (!lines.empty()) body.push_back(',');
            body += item.json;
            lines.push_back(item.line);
        }
        body.push_back(']');
        // The header is read before the first chunk is full, so a bad one sends nothing.
        if (!reader.header_error().empty()) {
            std::cerr << "tradestorectl: " << source << ": " << reader.header_error()
                      << "; nothing was sent\n";
            return kExitError;
        }
        if (lines.empty()) break;
        const std::string key =
            import_chunk_key(content_sha256.empty() ? sha256_hex(body) : content_sha256, format,
                             options.batch_size, chunk);
        Answer answer;
        for (int attempt = 0;; ++attempt) {
            answer = client.send("POST", "/api/v1/trades/batch", body, key);
            // 503: the store is down; 409: this chunk's key is still in flight (a timed-out
            // attempt): both are answered on a retry with the same key.
            if ((answer.status != 503 && answer.status != 409) || attempt == 4) break;
            std::this_thread::sleep_for(std::chrono::seconds(1 << attempt));
        }
        std::string error;
        if (answer.status != 200 || !apply_batch_answer(answer.body, lines, summary, error)) {
            const std::string reason = "not sent: HTTP " + std::to_string(answer.status) + ": " +
                                       (error.empty() ? detail_of(answer) : error);
            for (std::size_t line : lines) summary.failed.push_back({line, reason});
        }
        summary.sent += lines.size();
        progress.show(progress_bar(reader.bytes_read(), total) + " " +
                      std::to_string(summary.sent) + " sent");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (options.json) {
        print_summary_json(source, seconds, summary);
    } else {
        std::cout << "imported " << source << ": " << summary.sent << " trade(s) sent in "
                  << format_number(seconds) << " s\n"
                  << format_summary(summary);
    }
    return summary.rejected == 0 && summary.failed.empty() ? kExitOk : kExitPartial;
}

}  // namespace tradestore::ctl
