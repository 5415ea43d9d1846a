// The SDK's one-of-each helpers (trade.h, store.h, codec.h, json_text.h), which every store,
// source and the kernel use instead of copies of their own.
#include <gtest/gtest.h>
#include <tradestore/codec.h>
#include <tradestore/json_text.h>
#include <tradestore/store.h>
#include <tradestore/trade.h>

#include <string>

namespace tradestore {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;

TEST(SdkParseDate, TakesRealDatesFromYear1To9999) {
    EXPECT_EQ(parse_date("2024-02-29"), sys_days{year{2024} / 2 / 29});
    EXPECT_EQ(parse_date("0001-01-01"), sys_days{year{1} / 1 / 1});
    EXPECT_EQ(parse_date("9999-12-31"), sys_days{year{9999} / 12 / 31});
}

TEST(SdkParseDate, RefusesEverythingElse) {
    for (const char* text : {"0000-01-01", "2023-02-29", "2024-2-09", "2024-02-9", "2024/02/09",
                             "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", " 2024-01-01",
                             "2024-01-01 ", "+024-01-01", "2024-01-0a", "", "20240101"}) {
        EXPECT_FALSE(parse_date(text)) << text;
    }
}

TEST(SdkParseDate, ReadsBackWhatFormatDateWrites) {
    for (const sys_days date : {sys_days{year{1} / 1 / 1}, sys_days{year{1970} / 1 / 1},
                                sys_days{year{2026} / 12 / 8}, sys_days{year{9999} / 12 / 31}}) {
        EXPECT_EQ(parse_date(format_date(date)), date) << format_date(date);
    }
}

TEST(SdkWireText, DatesAndInstants) {
    EXPECT_EQ(format_date(sys_days{year{2026} / 12 / 8}), "2026-12-08");
    EXPECT_EQ(format_date(sys_days{year{1} / 1 / 1}), "0001-01-01");
    EXPECT_EQ(format_date(sys_days{year{12026} / 1 / 1}), "9999-01-01") << "clamped to 4 digits";
    EXPECT_EQ(format_timestamp(Timestamp{sys_days{year{2026} / 12 / 8}}),
              "2026-12-08T00:00:00.000000Z");
    EXPECT_EQ(format_timestamp(from_micros(1'765'152'000'123'456)), "2025-12-08T00:00:00.123456Z");
    EXPECT_EQ(format_timestamp(Timestamp{sys_days{year{2026} / 12 / 8}} +
                               std::chrono::microseconds{86'399'999'999}),
              "2026-12-08T23:59:59.999999Z");
    std::string out = "x";
    append_date(out, sys_days{year{2026} / 2 / 28});
    append_json_int(out, -42);
    EXPECT_EQ(out, "x2026-02-28-42");
}

TEST(SdkMicros, RoundTripAndEpoch) {
    EXPECT_EQ(to_micros(from_micros(0)), 0);
    EXPECT_EQ(to_micros(from_micros(-1)), -1);
    EXPECT_EQ(to_micros(from_micros(1'765'152'000'123'456)), 1'765'152'000'123'456);
    EXPECT_EQ(from_micros(86'400'000'000), Timestamp{sys_days{year{1970} / 1 / 2}});
    const Timestamp before = now_utc();
    EXPECT_LE(to_micros(before), to_micros(now_utc()));
}

TEST(SdkAuditAction, NamesReadBackAndUnknownOnesAreRefused) {
    for (const AuditAction action :
         {AuditAction::Create, AuditAction::Update, AuditAction::Replace, AuditAction::Delete,
          AuditAction::ValidationFailed, AuditAction::Expire}) {
        EXPECT_EQ(parse_audit_action(to_string(action)), action) << to_string(action);
    }
    EXPECT_FALSE(parse_audit_action("create"));
    EXPECT_FALSE(parse_audit_action("CREATED"));
    EXPECT_FALSE(parse_audit_action(""));
}

TEST(SdkSyntaxError, OneWording) {
    EXPECT_EQ(describe_syntax_error({12, "Missing a comma."}),
              "Malformed JSON at offset 12: Missing a comma.");
}

TEST(SdkJsonText, EscapesQuotesBackslashesAndControlCharacters) {
    std::string out;
    append_json_string(out, std::string("a\"b\\c\n\t\x01\x1f\x7f", 10));
    EXPECT_EQ(out, R"("a\"b\\c\u000a\u0009\u0001\u001f)"
                   "\x7f\"");
    out.clear();
    append_json_string(out, std::string("nul\0end", 7));
    EXPECT_EQ(out, R"("nul\u0000end")");
    out.clear();
    append_json_string(out, "é€😀 ünïcødé");
    EXPECT_EQ(out, "\"é€😀 ünïcødé\"");
    out.clear();
    append_json_string(out, "");
    EXPECT_EQ(out, "\"\"");
}

TEST(SdkJsonText, EachByteOfAnInvalidSequenceBecomesAReplacementCharacter) {
    const std::pair<std::string, std::string> cases[] = {
        {"a\xFF"
         "b\xC3",
         R"("a\ufffdb\ufffd")"},
        {"\xED\xA0\x80", R"("\ufffd\ufffd\ufffd")"},            // surrogate U+D800
        {"\xC0\x80", R"("\ufffd\ufffd")"},                      // overlong NUL
        {"\xE0\x80\x80", R"("\ufffd\ufffd\ufffd")"},            // overlong 3-byte
        {"\xF0\x80\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // overlong 4-byte
        {"\xF4\x90\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // above U+10FFFF
        {"\xF5\x80\x80\x80", R"("\ufffd\ufffd\ufffd\ufffd")"},  // no such lead byte
        {"\xE2\x82", R"("\ufffd\ufffd")"},                      // truncated
    };
    for (const auto& [bytes, json] : cases) {
        std::string out;
        append_json_string(out, bytes);
        EXPECT_EQ(out, json);
    }
}

TEST(SdkJsonText, SequenceLengths) {
    EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
    EXPECT_EQ(utf8_sequence_length("\xC3\xA9", 0), 2u);
    EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC", 0), 3u);
    EXPECT_EQ(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0), 4u);
    EXPECT_EQ(utf8_sequence_length("\xED\x9F\xBF", 0), 3u);  // U+D7FF, just below surrogates
    EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);
    EXPECT_EQ(utf8_sequence_length("\xC1\xBF", 0), 0u);
}

}  // namespace
}  // namespace tradestore
