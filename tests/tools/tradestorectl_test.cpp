// tradestorectl's pure parts: the Prometheus text reader with histogram quantiles, the CSV and
// JSON-lines readers (header checks, byte order mark), folding batch answers into the import
// summary, the command line (token sources and their order) and number formatting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "number_format.h"
#include "options.h"
#include "prometheus_text.h"
#include "trade_export.h"
#include "trade_import.h"

namespace tradestore::ctl {
namespace {

using ::testing::ElementsAre;

TEST(PrometheusTextTest, SamplesLabelsAndQuantiles) {
    const std::string text =
        "# HELP x_total help\n# TYPE x_total counter\n"
        "x_total{route=\"/a/{id}\",status=\"200\"} 3\n"
        "x_total{route=\"/b\",status=\"404\"} 2\n"
        "lat_seconds_bucket{route=\"/a\",le=\"0.1\"} 50\n"
        "lat_seconds_bucket{route=\"/a\",le=\"0.2\"} 100\n"
        "lat_seconds_bucket{route=\"/a\",le=\"+Inf\"} 100\n"
        "gauge 1.5e3\n";
    const auto samples = parse_prometheus_text(text);
    ASSERT_EQ(samples.size(), 6u);
    EXPECT_EQ(samples[0].labels.at("route"), "/a/{id}");
    EXPECT_EQ(sum_of(samples, "x_total"), 5);
    EXPECT_EQ(sum_of(samples, "x_total", {{"status", "404"}}), 2);
    EXPECT_EQ(sum_of(samples, "gauge"), 1500);
    EXPECT_DOUBLE_EQ(*histogram_quantile(samples, "lat_seconds", 0.5), 0.1);
    EXPECT_DOUBLE_EQ(*histogram_quantile(samples, "lat_seconds", 0.75), 0.15);
    EXPECT_FALSE(histogram_quantile(samples, "none", 0.5));
}

TEST(TradeReaderTest, CsvWithQuotesBlankLinesAndBadRows) {
    std::istringstream in(
        "trade_id,version,counter_party_id,book_id,maturity_date,expired\r\n"
        "T1,1,CP-1,B1,2030-01-01,false\n"
        "\"T \"\"2\"\"\",x,\"a,b\",B1,2030-01-01,\n"
        "\n"
        "T3,1,CP\n"
        "\"open,1,CP,B,2030-01-01,\n");
    TradeReader reader(in, ImportFormat::Csv);
    std::vector<FailedLine> failed;
    ImportItem item;
    ASSERT_TRUE(reader.next(item, failed));
    EXPECT_EQ(item.line, 2u);
    EXPECT_EQ(item.json, R"({"trade_id":"T1","version":1,"counter_party_id":"CP-1","book_id":"B1",)"
                         R"("maturity_date":"2030-01-01","expired":false})");
    ASSERT_TRUE(reader.next(item, failed));
    EXPECT_EQ(item.line, 3u);
    EXPECT_EQ(item.json, R"({"trade_id":"T \"2\"","version":"x","counter_party_id":"a,b",)"
                         R"("book_id":"B1","maturity_date":"2030-01-01"})");
    EXPECT_FALSE(reader.next(item, failed));
    ASSERT_EQ(failed.size(), 2u);
    EXPECT_EQ(failed[0].line, 5u);
    EXPECT_EQ(failed[0].reason, "expected 6 columns, got 3");
    EXPECT_EQ(failed[1].line, 6u);
    EXPECT_EQ(failed[1].reason, "unclosed quote");
}

TEST(TradeReaderTest, JsonLinesAreCheckedLocally) {
    std::istringstream in("{\"trade_id\":\"T1\"}\n  \n{broken\n42\n");
    TradeReader reader(in, ImportFormat::JsonLines);
    std::vector<FailedLine> failed;
    ImportItem item;
    ASSERT_TRUE(reader.next(item, failed));
    EXPECT_EQ(item.line, 1u);
    EXPECT_FALSE(reader.next(item, failed));
    ASSERT_EQ(failed.size(), 2u);
    EXPECT_EQ(failed[0].line, 3u);
    EXPECT_THAT(failed[0].reason, ::testing::StartsWith("malformed JSON at offset 1"));
    EXPECT_EQ(failed[1].reason, "not a JSON object");
    EXPECT_GT(reader.bytes_read(), 20u);
}

TEST(ImportSummaryTest, FoldsBatchAnswersByLine) {
    ImportSummary summary;
    std::string error;
    ASSERT_TRUE(apply_batch_answer(
        R"([{"index":0,"trade_id":"A","outcome":"created","trade":{}},)"
        R"({"index":1,"trade_id":"B","outcome":"rejected","detail":"d","reasons":["LOWER_VERSION","MATURITY_IN_PAST"]},)"
        R"({"index":2,"outcome":"invalid","errors":[{"loc":["body",2,"version"],"msg":"Field required","type":"missing"}]}])",
        {10, 11, 14}, summary, error));
    EXPECT_EQ(summary.accepted_total(), 1u);
    EXPECT_EQ(summary.rejected, 1u);
    EXPECT_EQ(summary.rejected_by_reason.at("MATURITY_IN_PAST"), 1u);
    ASSERT_EQ(summary.failed.size(), 1u);
    EXPECT_EQ(summary.failed[0].line, 14u);
    EXPECT_EQ(summary.failed[0].reason, "version: Field required");
    EXPECT_FALSE(apply_batch_answer("[]", {1}, summary, error));
    EXPECT_EQ(format_summary(summary),
              "accepted: 1 (created 1)\nrejected: 1\n  LOWER_VERSION: 1\n  MATURITY_IN_PAST: 1\n"
              "failed: 1\n  line 14: version: Field required\n");
}

TEST(ImportSummaryTest, ListsTheFirstFailedLinesAndCountsTheRest) {
    ImportSummary summary;
    for (std::size_t line = kFailedLinesListed + 3; line > 1; --line) {
        summary.failed.push_back({line, "expected 5 columns, got 4"});
    }
    const std::string text = format_summary(summary);
    EXPECT_THAT(text, ::testing::HasSubstr("failed: " + std::to_string(kFailedLinesListed + 2) +
                                           "\n  line 2: expected"));
    EXPECT_THAT(text, ::testing::HasSubstr("  line " + std::to_string(kFailedLinesListed + 1) +
                                           ": expected 5 columns, got 4\n  ... and 2 more "
                                           "(--json lists every line)\n"));
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3 + kFailedLinesListed + 1);
}

TEST(CsvTest, Split) {
    std::vector<std::string> fields;
    ASSERT_TRUE(split_csv(R"(a, "b,c" ,"d""e",)", fields));
    EXPECT_THAT(fields, ElementsAre("a", "b,c", "d\"e", ""));
    EXPECT_FALSE(split_csv(R"("a,b)", fields));
}

// An exported trade reads back through the import's own CSV splitter: quotes, commas and
// line breaks survive; missing or null fields are empty.
TEST(TradeExport, CsvRowsReadBackThroughTheImportSplitter) {
    rapidjson::Document trade;
    trade.Parse(R"({"trade_id":"T,1","version":3,"counter_party_id":"CP \"x\"",)"
                R"("book_id":"B\n1","maturity_date":"2030-01-01","created_date":null,)"
                R"("expired":true,"last_updated":"2026-12-07T10:00:00.000000Z"})");
    std::ostringstream out;
    write_trade_csv_row(out, trade);
    EXPECT_EQ(out.str(),
              "\"T,1\",3,\"CP \"\"x\"\"\",\"B\n1\",2030-01-01,,true,"
              "2026-12-07T10:00:00.000000Z\n");
    std::vector<std::string> fields;
    std::string row = out.str();
    row.pop_back();
    ASSERT_TRUE(split_csv(row, fields));
    EXPECT_THAT(fields, ElementsAre("T,1", "3", "CP \"x\"", "B\n1", "2030-01-01", "", "true",
                                    "2026-12-07T10:00:00.000000Z"));
    EXPECT_EQ(csv_field("plain"), "plain");

    std::ostringstream line;
    write_json_line(line, trade);
    EXPECT_EQ(line.str().back(), '\n');
    EXPECT_EQ(line.str().find('\n'), line.str().size() - 1);  // one line, even with "\n" inside
}

TEST(TradeReaderTest, ByteOrderMarkIsDroppedInBothFormats) {
    std::istringstream csv(
        "\xEF\xBB\xBFtrade_id,version,counter_party_id,book_id,maturity_date\r\n"
        "T1,1,C,B,2030-01-01\r\n");
    TradeReader reader(csv, ImportFormat::Csv);
    std::vector<FailedLine> failed;
    ImportItem item;
    ASSERT_TRUE(reader.next(item, failed)) << reader.header_error();
    EXPECT_THAT(item.json, ::testing::StartsWith(R"({"trade_id":"T1",)"));
    std::istringstream jsonl("\xEF\xBB\xBF{\"trade_id\":\"T1\"}\n");
    TradeReader lines(jsonl, ImportFormat::JsonLines);
    ASSERT_TRUE(lines.next(item, failed));
    EXPECT_EQ(item.json, R"({"trade_id":"T1"})");
    EXPECT_TRUE(failed.empty());
}

TEST(TradeReaderTest, ABadHeaderEndsTheInputNamingEachProblemOnce) {
    std::istringstream in(
        "id,version,book_id,desk,maturity_date,desk,version\n"
        "T1,1,B,D,2030-01-01,D,1\nT2,1,B,D,2030-01-01,D,1\n");
    TradeReader reader(in, ImportFormat::Csv);
    std::vector<FailedLine> failed;
    ImportItem item;
    EXPECT_FALSE(reader.next(item, failed));
    EXPECT_TRUE(failed.empty());
    EXPECT_EQ(reader.header_error(),
              "line 1: unknown column(s): id, desk; repeated column(s): version; missing "
              "column(s): trade_id, counter_party_id (the header needs trade_id, version, "
              "counter_party_id, book_id, maturity_date; it may have created_date, expired, "
              "last_updated)");
    EXPECT_FALSE(reader.next(item, failed));  // and stays ended
}

TEST(TradeReaderTest, AnExportedHeaderIsAccepted) {
    std::vector<std::string> columns;
    ASSERT_TRUE(split_csv(kTradeCsvHeader, columns));
    EXPECT_EQ(check_csv_header(columns), "");
    EXPECT_THAT(
        check_csv_header({"trade_id", "version", "counter_party_id", "book_id", ""}),
        ::testing::StartsWith("unknown column(s): (empty); missing column(s): maturity_date"));
}

class OptionsTest : public ::testing::Test {
  protected:
    Options parse(std::vector<std::string> args) {
        return parse_options(args, [this](const char* name) -> const char* {
            const auto found = environment_.find(name);
            return found == environment_.end() ? nullptr : found->second.c_str();
        });
    }
    std::string token_file(const std::string& text) {
        const std::string path = ::testing::TempDir() + "/ctl-token-" + std::to_string(files_++);
        std::ofstream(path) << text;
        return path;
    }
    std::map<std::string, std::string> environment_;
    int files_ = 0;
};

TEST_F(OptionsTest, TokenSourcesInOrder) {
    EXPECT_EQ(parse({"stats"}).token, "");
    environment_["TRADESTORE_METRICS_TOKEN"] = "metrics";
    EXPECT_EQ(parse({"stats"}).token, "metrics");
    environment_["TRADESTORE_TOKEN_FILE"] = token_file("from-env-file\n");
    EXPECT_EQ(parse({"stats"}).token, "from-env-file");
    environment_["TRADESTORE_TOKEN"] = "from-env";
    EXPECT_EQ(parse({"stats"}).token, "from-env");
    EXPECT_EQ(parse({"--token-file", token_file("  from-file \r\nsecond line\n"), "stats"}).token,
              "from-file");
    EXPECT_EQ(parse({"stats", "--token", "from-option"}).token, "from-option");
    EXPECT_THROW(parse({"--token", "a", "--token-file", token_file("b"), "stats"}), UsageError);
    EXPECT_THROW(parse({"--token-file", token_file("\n"), "stats"}), UsageError);
    EXPECT_THROW(parse({"--token-file", "/nonexistent/token", "stats"}), UsageError);
    EXPECT_THROW(parse({"--token", "a\x01b", "stats"}), UsageError);
}

TEST_F(OptionsTest, UrlFlagsAndMistakes) {
    EXPECT_EQ(parse({"stats"}).url, "http://127.0.0.1:8080");
    environment_["TRADESTORE_URL"] = "https://ts.example:8443";
    EXPECT_EQ(parse({"stats"}).url, "https://ts.example:8443");
    const Options options = parse({"--url", "https://h:1", "--cacert", "ca.pem", "--json", "import",
                                   "-", "--batch-size", "7"});
    EXPECT_EQ(options.url, "https://h:1");
    EXPECT_EQ(options.cacert, "ca.pem");
    EXPECT_TRUE(options.json);
    EXPECT_EQ(options.batch_size, 7u);
    EXPECT_THAT(options.positional, ElementsAre("import", "-"));
    EXPECT_TRUE(parse({"--version"}).version);
    EXPECT_TRUE(parse({"-h"}).help);
    for (const auto& bad : std::vector<std::vector<std::string>>{{"--nope"},
                                                                 {"--url"},
                                                                 {"--batch-size", "0"},
                                                                 {"--batch-size", "-1"},
                                                                 {"--batch-size", "12x"},
                                                                 {"--token", ""}}) {
        EXPECT_THROW(parse(bad), UsageError) << bad[0];
    }
}

TEST(NumberFormatTest, CountsWholeOthersWithTwoDecimalsAtMost) {
    EXPECT_EQ(format_number(341.25), "341.25");
    EXPECT_EQ(format_number(341), "341");
    EXPECT_EQ(format_number(1234567), "1234567");
    EXPECT_EQ(format_number(0.5), "0.5");
    EXPECT_EQ(format_number(0.123456), "0.12");
    EXPECT_EQ(format_number(2.999), "3");
    EXPECT_EQ(format_number(-0.001), "0");
    EXPECT_EQ(format_number(1e20), "100000000000000000000");
}

}  // namespace
}  // namespace tradestore::ctl
