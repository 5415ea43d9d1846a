// The kernel's metrics registry (SDK handles on prometheus-cpp), the ingest metrics, and the
// log line formats with secret redaction.
#include <Poco/Message.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "deployment_plan.h"
#include "ingest_metrics.h"
#include "logging_setup.h"
#include "metrics_registry.h"

namespace tradestore::kernel {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistryTest, SameNameAndLabelsGiveTheSameHandle) {
    MetricsRegistry registry;
    Counter& a = registry.counter("x_total", "help", {{"b", "2"}, {"a", "1"}});
    Counter& b = registry.counter("x_total", "help", {{"a", "1"}, {"b", "2"}});
    EXPECT_EQ(&a, &b) << "label order does not matter";
    Counter& c = registry.counter("x_total", "help", {{"a", "1"}, {"b", "3"}});
    EXPECT_NE(&a, &c);
}

TEST(MetricsRegistryTest, RefusesBadNamesAndConflicts) {
    MetricsRegistry registry;
    EXPECT_THROW(registry.counter("bad name_total", "h"), std::invalid_argument);
    EXPECT_THROW(registry.counter("no_suffix", "h"), std::invalid_argument);
    EXPECT_THROW(registry.counter("x_total", "h", {{"le", "1"}}), std::invalid_argument);
    EXPECT_THROW(registry.counter("x_total", "h", {{"bad-label", "1"}}), std::invalid_argument);
    registry.gauge("g", "h");
    EXPECT_THROW(registry.counter("g", "h"), std::invalid_argument);
    const double unsorted[] = {2, 1};
    EXPECT_THROW(registry.histogram("h_seconds", "h", unsorted), std::invalid_argument);
}

TEST(MetricsRegistryTest, RendersTheTextFormat) {
    MetricsRegistry registry;
    registry.counter("demo_requests_total", "Requests.", {{"route", "/a/{id}"}}).inc(3);
    registry.gauge("demo_depth", "Depth.").set(2.5);
    const double bounds[] = {0.1, 1};
    Histogram& latency = registry.histogram("demo_latency_seconds", "Latency.", bounds);
    latency.observe(0.05);
    latency.observe(0.5);
    latency.observe(7);
    const std::string text = registry.render_prometheus();
    EXPECT_THAT(text, HasSubstr("# HELP demo_requests_total Requests.\n"
                                "# TYPE demo_requests_total counter\n"
                                "demo_requests_total{route=\"/a/{id}\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("demo_depth 2.5\n"));
    EXPECT_THAT(text, HasSubstr("demo_latency_seconds_bucket{le=\"0.1\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("demo_latency_seconds_bucket{le=\"1\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("demo_latency_seconds_bucket{le=\"+Inf\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("demo_latency_seconds_count 3\n"));
    EXPECT_THAT(text, HasSubstr("demo_latency_seconds_sum 7.55\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_build_info{version=\"" TRADESTORE_VERSION "\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
    EXPECT_THAT(text, HasSubstr("process_open_fds "));
    EXPECT_GT(process_resident_bytes(), 1e6);
}

TEST(MetricsRegistryTest, ConcurrentRecordingLosesNothing) {
    MetricsRegistry registry;
    Counter& counter = registry.counter("c_total", "h");
    Histogram& histogram = registry.histogram("h_seconds", "h", kLatencyBuckets);
    std::vector<std::jthread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i) {
                counter.inc();
                histogram.observe(0.001);
            }
        });
    }
    threads.clear();
    EXPECT_EQ(counter.value(), 40000u);
    EXPECT_THAT(registry.render_prometheus(), HasSubstr("h_seconds_count 40000\n"));
}

TEST(IngestMetricsTest, CountsBySourceOutcomeAndReason) {
    MetricsRegistry registry;
    IngestMetrics metrics(registry);
    ItemResult created;
    created.outcome = Outcome::Created;
    ItemResult rejected;
    rejected.outcome = Outcome::Rejected;
    rejected.reasons = {{"LOWER_VERSION", "m"}, {"MATURITY_IN_PAST", "m"}};
    ItemResult replayed;
    replayed.outcome = Outcome::Created;
    replayed.skipped_as_replay = true;
    metrics.item("rest", created);
    metrics.item("rest", created);
    metrics.item("kafka", rejected);
    metrics.item("kafka", replayed);
    metrics.unavailable("rest", 4);
    metrics.commit(12, 0.002, false);
    metrics.commit(3, 0, true);
    const std::string text = registry.render_prometheus();
    EXPECT_THAT(
        text,
        HasSubstr("tradestore_trades_processed_total{outcome=\"created\",source=\"rest\"} 2\n"));
    EXPECT_THAT(
        text,
        HasSubstr("tradestore_trades_processed_total{outcome=\"rejected\",source=\"kafka\"} 1\n"));
    EXPECT_THAT(
        text,
        HasSubstr("tradestore_trades_processed_total{outcome=\"replayed\",source=\"kafka\"} 1\n"));
    EXPECT_THAT(
        text,
        HasSubstr(
            "tradestore_trades_processed_total{outcome=\"unavailable\",source=\"rest\"} 4\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_rejections_total{reason=\"LOWER_VERSION\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_rejections_total{reason=\"MATURITY_IN_PAST\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_store_batch_size_bucket{le=\"20\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_store_commit_duration_seconds_count 1\n"));
    EXPECT_THAT(text, HasSubstr("tradestore_store_commit_failures_total 1\n"));
}

// ---------------------------------------------------------------- log lines

Poco::Message message(const std::string& text) {
    Poco::Message line("rest-source", text, Poco::Message::PRIO_WARNING);
    line.setTime(Poco::Timestamp::fromEpochTime(1'700'000'000));
    return line;
}

TEST(LogFormatTest, PlainLineWithContext) {
    Poco::Message line = message("store unavailable");
    set_log_context(line, {.request_id = "r-1", .trade_id = "T1", .source = "rest"});
    EXPECT_EQ(format_log_line(line, LogFormat::Plain),
              "2023-11-14T22:13:20.000Z Warning rest-source: store unavailable "
              "[request_id=r-1 trade_id=T1 source=rest]");
    EXPECT_EQ(format_log_line(message("plain"), LogFormat::Plain),
              "2023-11-14T22:13:20.000Z Warning rest-source: plain");
}

TEST(LogFormatTest, JsonLineIsOneObjectWithTheFields) {
    Poco::Message line = message("quote \" backslash \\ newline \n bad \xff end");
    set_log_context(line, {.request_id = "r-1", .trade_id = {}, .source = "rest"});
    EXPECT_EQ(format_log_line(line, LogFormat::Json),
              R"({"time":"2023-11-14T22:13:20.000Z","level":"warning","logger":"rest-source",)"
              R"("message":"quote \" backslash \\ newline \u000a bad \ufffd end",)"
              R"("request_id":"r-1","source":"rest"})");
}

// The JSON line's "message" value for a text: what the writer made of its bytes.
std::string json_message(const std::string& text) {
    const std::string line = format_log_line(message(text), LogFormat::Json);
    const std::string start = R"("message":")", end = R"("})";
    const std::size_t from = line.find(start) + start.size();
    return line.substr(from, line.size() - end.size() - from);
}

TEST(LogFormatTest, ValidUtf8PassesUnchanged) {
    // 2, 3 and 4 bytes, and the last code point of each length and of Unicode.
    for (const std::string text :
         {"caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x93\x88 up",
          "\xDF\xBF\xEF\xBF\xBF\xED\x9F\xBF\xEE\x80\x80", "\xF4\x8F\xBF\xBF"}) {
        EXPECT_EQ(json_message(text), text);
    }
}

// Each byte that is not part of a valid sequence becomes U+FFFD, so the line stays valid UTF-8.
TEST(LogFormatTest, EachByteOfAnInvalidUtf8SequenceBecomesAReplacementCharacter) {
    const std::string bad = R"(\ufffd)";
    const std::pair<std::string, std::string> cases[] = {
        {"a\xC0\x80z", "a" + bad + bad + "z"},                      // overlong NUL
        {"a\xC1\xBFz", "a" + bad + bad + "z"},                      // overlong 2-byte
        {"a\xE0\x80\x80z", "a" + bad + bad + bad + "z"},            // overlong 3-byte
        {"a\xF0\x80\x80\x80z", "a" + bad + bad + bad + bad + "z"},  // overlong 4-byte
        {"a\xED\xA0\x80z", "a" + bad + bad + bad + "z"},            // surrogate U+D800
        {"a\xED\xBF\xBFz", "a" + bad + bad + bad + "z"},            // surrogate U+DFFF
        {"a\xF4\x90\x80\x80z", "a" + bad + bad + bad + bad + "z"},  // U+110000
        {"a\xF5\x80\x80\x80z", "a" + bad + bad + bad + bad + "z"},  // no such lead byte
        {"a\xFF\xFEz", "a" + bad + bad + "z"},
        {"a\xE2\x82", "a" + bad + bad},                   // truncated at the end
        {"a\xF0\x9F\x93z", "a" + bad + bad + bad + "z"},  // truncated in the middle
        {"a\x80z", "a" + bad + "z"},                      // lone continuation byte
    };
    for (const auto& [text, expected] : cases) EXPECT_EQ(json_message(text), expected);
}

TEST(LogFormatTest, ExtraFieldsAreJsonMembersAndLeaveThePlainLineAlone) {
    Poco::Message line = message("GET /x 200 1.5 ms");
    const LogField fields[] = {{"method", "GET"},
                               {"status", "200", true},
                               {"duration_ms", "1.500000", true},
                               {"bytes", "not a number", true},  // quoted, so the line parses
                               {"path", "/a\"b"}};
    set_log_context(line, {.request_id = "r-1", .fields = fields});
    EXPECT_EQ(format_log_line(line, LogFormat::Json),
              R"({"time":"2023-11-14T22:13:20.000Z","level":"warning","logger":"rest-source",)"
              R"("message":"GET /x 200 1.5 ms","request_id":"r-1","method":"GET","status":200,)"
              R"("duration_ms":1.500000,"bytes":"not a number","path":"/a\"b"})");
    EXPECT_EQ(format_log_line(line, LogFormat::Plain),
              "2023-11-14T22:13:20.000Z Warning rest-source: GET /x 200 1.5 ms [request_id=r-1]");
}

TEST(LogFormatTest, SecretsAreRedactedInEveryFormat) {
    set_log_secrets({"hunter2", "", "pw-hunter2-long"});
    Poco::Message line = message("connect postgres://u:pw-hunter2-long@db failed; hunter2 again");
    set_log_context(line, {.request_id = "hunter2"});
    for (LogFormat format : {LogFormat::Plain, LogFormat::Json}) {
        const std::string text = format_log_line(line, format);
        EXPECT_THAT(text, Not(HasSubstr("hunter2")));
        EXPECT_THAT(text, HasSubstr("postgres://u:***@db failed; *** again"));
    }
    EXPECT_EQ(redact_secrets("a hunter2hunter2 b"), "a ****** b");
    set_log_secrets({});
    EXPECT_EQ(redact_secrets("hunter2"), "hunter2");
}

}  // namespace
}  // namespace tradestore::kernel
