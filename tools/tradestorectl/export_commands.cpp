// history ID and snapshot: exports streamed page by page (memory stays flat), as JSON lines,
// CSV, or with --json one JSON array.
#include <Poco/URI.h>
#include <rapidjson/document.h>

#include <iostream>
#include <optional>

#include "commands.h"
#include "json_output.h"
#include "terminal_progress.h"
#include "trade_export.h"

namespace tradestore::ctl {
namespace {

constexpr int kExportPage = 1000;

// A path segment or query value, percent-encoded ('+' too, which a query would read as ' ').
std::string encoded(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "?#/&+=%;,", out);
    return out;
}

// The JSON answered to a GET, or nullopt after saying why not.
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

// Where exported items go: JSON lines, CSV rows, or the elements of one JSON array; and a count
// on the terminal.
class ExportSink {
  public:
    ExportSink(const char* what, ExportFormat format, bool json_array)
        : what_(what), format_(format) {
        if (json_array) {
            array_.emplace();
        } else if (format_ == ExportFormat::Csv) {
            std::cout << kTradeCsvHeader << '\n';
        }
    }

    void add(const rapidjson::Value& items) {
        for (const auto& item : items.GetArray()) {
            if (array_) {
                array_->add(item);
            } else if (format_ == ExportFormat::Csv) {
                write_trade_csv_row(std::cout, item);
            } else {
                write_json_line(std::cout, item);
            }
        }
        count_ += items.Size();
        progress_.show("exported " + std::to_string(count_) + " " + what_);
    }

    // The export is complete: closes the JSON array; returns kExitOk.
    int finish() {
        if (array_) array_->finish();
        return kExitOk;
    }

  private:
    const char* what_;
    ExportFormat format_;
    std::optional<JsonArrayPrinter> array_;
    TerminalProgress progress_;
    std::size_t count_ = 0;
};

ExportFormat export_format(const Options& options) {
    if (options.format.empty() || options.format == "jsonl") return ExportFormat::JsonLines;
    if (options.format != "csv") {
        throw UsageError("--format must be jsonl or csv, not '" + options.format + "'");
    }
    if (options.json) throw UsageError("--json and --format csv exclude each other");
    return ExportFormat::Csv;
}

}  // namespace

int history_command(Client& client, const Options& options) {
    if (!options.format.empty() && options.format != "jsonl") {
        throw UsageError("history writes JSON lines (or --json); --format does not apply");
    }
    const std::string& trade_id = options.positional.at(1);
    ExportSink sink("version(s)", ExportFormat::JsonLines, options.json);
    for (int skip = 0;; skip += kExportPage) {
        const auto page = get_json(client, "/api/v1/trades/" + encoded(trade_id) +
                                               "/history?skip=" + std::to_string(skip) +
                                               "&limit=" + std::to_string(kExportPage));
        if (!page || !page->IsObject() || !page->HasMember("items") ||
            !(*page)["items"].IsArray()) {
            return kExitError;
        }
        const auto& items = (*page)["items"];
        sink.add(items);
        if (items.Size() < static_cast<unsigned>(kExportPage)) return sink.finish();
    }
}

// A book's snapshot is one answer; all trades come a page at a time.
int snapshot_command(Client& client, const Options& options) {
    if (options.as_of.empty()) throw UsageError("snapshot needs --as-of");
    ExportSink sink("trade(s)", export_format(options), options.json);
    const std::string when = "as_of=" + encoded(options.as_of);
    if (!options.book.empty()) {
        const auto trades =
            get_json(client, "/api/v1/trades/book/" + encoded(options.book) + "?" + when);
        if (!trades || !trades->IsArray()) return kExitError;
        sink.add(*trades);
        return sink.finish();
    }
    for (int skip = 0;; skip += kExportPage) {
        const auto trades =
            get_json(client, "/api/v1/trades?" + when + "&skip=" + std::to_string(skip) +
                                 "&limit=" + std::to_string(kExportPage));
        if (!trades || !trades->IsArray()) return kExitError;
        sink.add(*trades);
        if (trades->Size() < static_cast<unsigned>(kExportPage)) return sink.finish();
    }
}

}  // namespace tradestore::ctl
