// The kernel's JSON trade codec: every field error at its boundary, syntax errors with their
// offsets, batch limits, and the exact JSON it writes.
#include "trade_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tradestore::kernel {
namespace {

using namespace std::chrono;
using ::testing::ElementsAre;

constexpr Date kToday = sys_days{year{2026} / 11 / 24};

// A valid body with one field replaced (or removed when value is empty).
std::string body_with(const std::string& field, const std::string& value) {
    const std::pair<std::string, std::string> fields[] = {
        {"trade_id", "\"T1\""},
        {"version", "1"},
        {"counter_party_id", "\"CP-1\""},
        {"book_id", "\"B1\""},
        {"maturity_date", "\"2027-01-31\""},
    };
    std::string body = "{";
    bool first = true;
    bool replaced = false;
    for (const auto& [name, default_value] : fields) {
        std::string v = default_value;
        if (name == field) {
            replaced = true;
            if (value.empty()) continue;
            v = value;
        }
        if (!first) body += ",";
        first = false;
        body += "\"" + name + "\":" + v;
    }
    if (!replaced && !value.empty()) body += ",\"" + field + "\":" + value;
    return body + "}";
}

std::string repeat(const std::string& unit, int times) {
    std::string text;
    for (int i = 0; i < times; ++i) text += unit;
    return text;
}

class TradeCodecTest : public ::testing::Test {
  protected:
    DecodedTrade decode(const std::string& json) {
        DecodedOne one = codec_.decode_trade(json);
        EXPECT_FALSE(one.syntax_error) << json << ": " << one.syntax_error->message;
        return std::move(one.item);
    }
    // The single error of a body, as "type|msg|loc joined by /".
    std::string only_error(const std::string& json) {
        DecodedTrade item = decode(json);
        EXPECT_FALSE(item.trade) << json;
        if (item.errors.size() != 1) return "errors: " + std::to_string(item.errors.size());
        const FieldError& e = item.errors[0];
        std::string loc;
        for (const auto& part : e.loc) loc += (loc.empty() ? "" : "/") + part;
        return e.type + "|" + e.msg + "|" + loc;
    }
    bool accepted(const std::string& json) {
        DecodedTrade item = decode(json);
        return item.trade.has_value() && item.errors.empty();
    }
    JsonTradeCodec codec_;
};

// Shape of a valid trade.

TEST_F(TradeCodecTest, DecodesAValidTrade) {
    DecodedTrade item =
        decode(R"({"trade_id":"T1","version":3,"counter_party_id":"CP-1","book_id":"B1",)"
               R"("maturity_date":"2027-01-31","created_date":"2026-11-20","expired":true,)"
               R"("last_updated":"whatever","unknown":{"nested":[1,2,{"a":null}]}})");
    ASSERT_TRUE(item.trade);
    EXPECT_TRUE(item.errors.empty());
    const Trade& t = *item.trade;
    EXPECT_EQ(t.trade_id, "T1");
    EXPECT_EQ(t.version, 3);
    EXPECT_EQ(t.counter_party_id, "CP-1");
    EXPECT_EQ(t.book_id, "B1");
    EXPECT_EQ(t.maturity_date, sys_days{year{2027} / 1 / 31});
    EXPECT_EQ(t.created_date, sys_days{year{2026} / 11 / 20});
    EXPECT_FALSE(t.expired) << "the server owns expired";
    EXPECT_EQ(t.last_updated, Timestamp{});
}

TEST_F(TradeCodecTest, AbsentOrNullCreatedDateIsLeftAtEpochForTheKernelToFill) {
    DecodedTrade absent = decode(body_with("created_date", ""));
    ASSERT_TRUE(absent.trade);
    EXPECT_EQ(absent.trade->created_date, Date{});
    DecodedTrade null = decode(body_with("created_date", "null"));
    ASSERT_TRUE(null.trade);
    EXPECT_EQ(null.trade->created_date, Date{});
}

TEST_F(TradeCodecTest, RepeatedKeyKeepsTheLastValue) {
    DecodedTrade item = decode(R"({"trade_id":"A","version":1,"counter_party_id":"C",)"
                               R"("book_id":"B","maturity_date":"2027-01-01","trade_id":"Z"})");
    ASSERT_TRUE(item.trade);
    EXPECT_EQ(item.trade->trade_id, "Z");
}

TEST_F(TradeCodecTest, BodyThatIsNotAnObject) {
    for (const char* body : {"[]", "\"text\"", "42", "null", "true"}) {
        EXPECT_EQ(only_error(body),
                  "model_attributes_type|Input should be a valid dictionary or object to extract "
                  "fields from|body")
            << body;
    }
}

// Identifiers.

TEST_F(TradeCodecTest, IdentifierLengthIsCountedInCodePoints) {
    // "é" is two bytes, "€" three, "😀" four: 50 code points pass, 51 fail.
    EXPECT_TRUE(accepted(body_with("trade_id", "\"" + repeat("é", 50) + "\"")));
    EXPECT_TRUE(accepted(body_with("book_id", "\"" + repeat("€", 25) + repeat("😀", 25) + "\"")));
    EXPECT_TRUE(accepted(body_with("counter_party_id", "\"" + repeat("x", 50) + "\"")));
    EXPECT_EQ(only_error(body_with("trade_id", "\"" + repeat("é", 51) + "\"")),
              "string_too_long|String should have at most 50 characters|body/trade_id");
    EXPECT_EQ(only_error(body_with("counter_party_id", "\"" + repeat("x", 51) + "\"")),
              "string_too_long|String should have at most 50 characters|body/counter_party_id");
    EXPECT_EQ(only_error(body_with("book_id", "\"" + repeat("😀", 51) + "\"")),
              "string_too_long|String should have at most 50 characters|body/book_id");
}

TEST_F(TradeCodecTest, EmptyIdentifierIsTooShort) {
    EXPECT_EQ(only_error(body_with("trade_id", "\"\"")),
              "string_too_short|String should have at least 1 character|body/trade_id");
    EXPECT_TRUE(accepted(body_with("trade_id", "\"x\"")));
}

TEST_F(TradeCodecTest, ControlCharactersInIdentifiersAreRefused) {
    const std::string mismatch =
        "string_pattern_mismatch|String must not contain control characters|";
    EXPECT_EQ(only_error(body_with("trade_id", R"("T\u00001")")), mismatch + "body/trade_id");
    EXPECT_EQ(only_error(body_with("book_id", R"("B\t1")")), mismatch + "body/book_id");
    EXPECT_EQ(only_error(body_with("counter_party_id", R"("\u001f")")),
              mismatch + "body/counter_party_id");
    EXPECT_EQ(only_error(body_with("trade_id", R"("a\u007f")")), mismatch + "body/trade_id");
    EXPECT_EQ(only_error(body_with("trade_id", R"("a\u0080")")), mismatch + "body/trade_id");
    EXPECT_EQ(only_error(body_with("trade_id", "\"a\xC2\x9F\"")), mismatch + "body/trade_id");
    // Neighbours of the ranges are fine: space, "~", U+00A0.
    EXPECT_TRUE(accepted(body_with("trade_id", R"("a b~\u00a0")")));
}

TEST_F(TradeCodecTest, IdentifierOfTheWrongType) {
    for (const char* value : {"1", "null", "true", "[]", "{}"}) {
        EXPECT_EQ(only_error(body_with("trade_id", value)),
                  "string_type|Input should be a valid string|body/trade_id")
            << value;
    }
}

// Version.

TEST_F(TradeCodecTest, VersionBoundaries) {
    EXPECT_TRUE(accepted(body_with("version", "1")));
    EXPECT_TRUE(accepted(body_with("version", "9223372036854775807")));
    EXPECT_EQ(only_error(body_with("version", "0")),
              "greater_than_equal|Input should be greater than or equal to 1|body/version");
    EXPECT_EQ(only_error(body_with("version", "-5")),
              "greater_than_equal|Input should be greater than or equal to 1|body/version");
    const std::string from_float =
        "int_from_float|Input should be a valid integer, got a number with a fractional "
        "part|body/version";
    EXPECT_EQ(only_error(body_with("version", "2.5")), from_float);
    EXPECT_EQ(only_error(body_with("version", "2.0")), from_float);
    EXPECT_EQ(only_error(body_with("version", "2e0")), from_float);
    EXPECT_EQ(only_error(body_with("version", "\"3\"")),
              "int_type|Input should be a valid integer|body/version");
    EXPECT_EQ(only_error(body_with("version", "true")),
              "int_type|Input should be a valid integer|body/version");
    const std::string parsing =
        "int_parsing|Input should be a valid integer, got a number outside the 64-bit "
        "range|body/version";
    EXPECT_EQ(only_error(body_with("version", "9223372036854775808")), parsing);
    EXPECT_EQ(only_error(body_with("version", "-9223372036854775809")), parsing);
    EXPECT_EQ(only_error(body_with("version", "123456789012345678901234567890")), parsing);
}

// Dates.

TEST_F(TradeCodecTest, DatesMustBeRealCalendarDatesInTheExactFormat) {
    const std::string bad =
        "date_from_datetime_parsing|Input should be a valid date in the format YYYY-MM-DD|";
    EXPECT_TRUE(accepted(body_with("maturity_date", "\"2024-02-29\"")));
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2023-02-29\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2024-2-9\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2024-13-01\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2024-04-31\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"0000-01-01\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2024-01-01T00:00:00\"")),
              bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "\"2024-01-0a\"")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "20240101")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("maturity_date", "null")), bad + "body/maturity_date");
    EXPECT_EQ(only_error(body_with("created_date", "\"2023-02-29\"")), bad + "body/created_date");
    EXPECT_TRUE(accepted(body_with("created_date", "\"2024-02-29\"")));
}

TEST_F(TradeCodecTest, ExpiredMustBeABoolWhenGiven) {
    EXPECT_TRUE(accepted(body_with("expired", "false")));
    EXPECT_EQ(only_error(body_with("expired", "\"yes\"")),
              "bool_type|Input should be a valid boolean|body/expired");
    EXPECT_TRUE(accepted(body_with("last_updated", "[1, {\"x\": 2}]")));
}

TEST_F(TradeCodecTest, EveryMissingFieldIsReportedAtOnceInFieldOrder) {
    DecodedTrade item = decode("{}");
    EXPECT_FALSE(item.trade);
    ASSERT_EQ(item.errors.size(), 5u);
    const char* fields[] = {"trade_id", "version", "counter_party_id", "book_id", "maturity_date"};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(item.errors[i], (FieldError{{"body", fields[i]}, "Field required", "missing"}));
    }
}

TEST_F(TradeCodecTest, DifferentErrorsInSeveralFieldsAreAllReported) {
    DecodedTrade item = decode(R"({"trade_id":"","version":2.5,"counter_party_id":7,)"
                               R"("book_id":"B\t","maturity_date":"2023-02-29","expired":1})");
    std::vector<std::string> types;
    for (const auto& e : item.errors) types.push_back(e.type);
    EXPECT_THAT(types,
                ElementsAre("string_too_short", "int_from_float", "string_type",
                            "string_pattern_mismatch", "date_from_datetime_parsing", "bool_type"));
}

// Syntax.

TEST_F(TradeCodecTest, MalformedJsonGivesTheByteOffset) {
    DecodedOne one = codec_.decode_trade(R"({"trade_id": "T1",, })");
    ASSERT_TRUE(one.syntax_error);
    EXPECT_EQ(one.syntax_error->offset, 18u);
    EXPECT_FALSE(one.syntax_error->message.empty());

    DecodedOne empty = codec_.decode_trade("");
    ASSERT_TRUE(empty.syntax_error);
    EXPECT_EQ(empty.syntax_error->offset, 0u);
    EXPECT_EQ(empty.syntax_error->message, "The document is empty.");

    DecodedOne unterminated = codec_.decode_trade(R"({"trade_id": "T1)");
    ASSERT_TRUE(unterminated.syntax_error);
}

TEST_F(TradeCodecTest, InvalidUtf8IsASyntaxError) {
    DecodedOne one = codec_.decode_trade("{\"trade_id\": \"T\xFF\"}");
    ASSERT_TRUE(one.syntax_error);
    EXPECT_EQ(one.syntax_error->message, "Invalid encoding in string.");
    // A lone surrogate escape is refused too.
    EXPECT_TRUE(codec_.decode_trade(R"({"trade_id": "\ud800"})").syntax_error);
    // Overlong encoding of "/".
    EXPECT_TRUE(codec_.decode_trade("{\"trade_id\": \"\xC0\xAF\"}").syntax_error);
}

// Found by fuzz/trade_fuzz.cpp and fuzz/batch_fuzz.cpp (seeds lone_low_surrogate.json):
// RapidJSON decoded an escaped lone low surrogate into bytes that are not UTF-8, and the
// codec called the non-empty trade_id "too short".
TEST_F(TradeCodecTest, ALoneLowSurrogateEscapeIsASyntaxErrorLikeAHighOne) {
    const std::string found =
        R"({"trade_id":"Tr\u00e4de-\u65e5\u672c-*ud83d\ude00","version":1,"counter_`arty_id":)"
        R"("Z\u00fcrich AG","book_id":"\u0410\u0443\u043a","maturity_date":"2028-02-29"})";
    DecodedOne one = codec_.decode_trade(found);
    ASSERT_TRUE(one.syntax_error);
    EXPECT_EQ(one.syntax_error->message, "The surrogate pair in string is invalid.");
    EXPECT_EQ(one.syntax_error->message,
              codec_.decode_trade(R"({"trade_id": "\ud800"})").syntax_error->message);

    const std::string found_in_batch =
        R"([{"trade_id":"\u00ecreated_dated\ude00","version":1,"nullcounter_party_id":)"
        R"("Z\u00fcrich","book_id":"B","maturity_date":"2028-01-01"}])";
    DecodedBatch batch = codec_.decode_batch(found_in_batch, 10);
    ASSERT_TRUE(batch.syntax_error);
    EXPECT_TRUE(batch.items.empty());
    // In a key or an ignored field too; a proper pair still decodes.
    EXPECT_TRUE(codec_.decode_trade(R"({"x\udfff": 1})").syntax_error);
    EXPECT_TRUE(codec_.decode_trade(R"({"extra": "\udc00"})").syntax_error);
    DecodedOne pair = codec_.decode_trade(body_with("trade_id", R"("\ud83d\ude00\ud7ff")"));
    ASSERT_FALSE(pair.syntax_error);
    ASSERT_TRUE(pair.item.trade);
    EXPECT_EQ(pair.item.trade->trade_id, "\xF0\x9F\x98\x80\xED\x9F\xBF");
}

TEST_F(TradeCodecTest, TrailingGarbageIsASyntaxErrorButWhitespaceIsNot) {
    const std::string body = body_with("trade_id", "\"T1\"");
    EXPECT_FALSE(codec_.decode_trade(body + " \r\n\t").syntax_error);
    DecodedOne garbage = codec_.decode_trade(body + " x");
    ASSERT_TRUE(garbage.syntax_error);
    EXPECT_EQ(garbage.syntax_error->offset, body.size() + 1);
    EXPECT_EQ(garbage.syntax_error->message,
              "The document root must not be followed by other values.");
    EXPECT_TRUE(codec_.decode_trade(body + body).syntax_error);
    // A raw NUL byte after the value must not end the document early.
    DecodedOne nul = codec_.decode_trade(body + std::string("\0{}", 3));
    ASSERT_TRUE(nul.syntax_error);
    EXPECT_EQ(nul.syntax_error->offset, body.size());
}

TEST_F(TradeCodecTest, DeepNestingIsHandledWithoutRecursion) {
    const std::string deep = "{\"x\":" + repeat("[", 200000) + repeat("]", 200000) + "}";
    DecodedOne one = codec_.decode_trade(deep);
    EXPECT_FALSE(one.syntax_error);
    EXPECT_EQ(one.item.errors.size(), 5u);
}

// Batches.

TEST_F(TradeCodecTest, BatchDecodesEachItemWithItsIndexInTheLocation) {
    const std::string good = body_with("trade_id", "\"T1\"");
    DecodedBatch batch =
        codec_.decode_batch("[" + good + "," + body_with("version", "0") + ",7]", 10);
    EXPECT_FALSE(batch.syntax_error);
    EXPECT_FALSE(batch.not_an_array);
    EXPECT_EQ(batch.item_count, 3u);
    ASSERT_EQ(batch.items.size(), 3u);
    EXPECT_TRUE(batch.items[0].trade);
    ASSERT_EQ(batch.items[1].errors.size(), 1u);
    EXPECT_THAT(batch.items[1].errors[0].loc, ElementsAre("body", "1", "version"));
    ASSERT_EQ(batch.items[2].errors.size(), 1u);
    EXPECT_EQ(batch.items[2].errors[0],
              (FieldError{{"body", "2"},
                          "Input should be a valid dictionary or object to extract fields from",
                          "model_attributes_type"}));
}

TEST_F(TradeCodecTest, BatchLimit) {
    const std::string item = body_with("trade_id", "\"T1\"");
    const std::string three = "[" + item + "," + item + "," + item + "]";
    DecodedBatch at_limit = codec_.decode_batch(three, 3);
    EXPECT_EQ(at_limit.item_count, 3u);
    EXPECT_EQ(at_limit.items.size(), 3u);
    DecodedBatch over = codec_.decode_batch(three, 2);
    EXPECT_FALSE(over.syntax_error);
    EXPECT_EQ(over.item_count, 3u);
    EXPECT_TRUE(over.items.empty());
    DecodedBatch empty = codec_.decode_batch(" [ ] ", 2);
    EXPECT_FALSE(empty.not_an_array);
    EXPECT_EQ(empty.item_count, 0u);
}

TEST_F(TradeCodecTest, BatchThatIsNotAnArray) {
    DecodedBatch batch = codec_.decode_batch(body_with("trade_id", "\"T1\""), 10);
    EXPECT_FALSE(batch.syntax_error);
    EXPECT_TRUE(batch.not_an_array);
    EXPECT_TRUE(batch.items.empty());
    // Syntax comes first.
    DecodedBatch broken = codec_.decode_batch("{\"a\":", 10);
    EXPECT_TRUE(broken.syntax_error);
    EXPECT_TRUE(codec_.decode_batch("[1] 2", 10).syntax_error);
}

// Encoding.

Trade sample_trade() {
    Trade trade;
    trade.trade_id = "T1";
    trade.version = 2;
    trade.counter_party_id = "CP-1";
    trade.book_id = "B1";
    trade.maturity_date = sys_days{year{2027} / 1 / 31};
    trade.created_date = sys_days{year{2026} / 11 / 20};
    trade.last_updated =
        Timestamp{sys_days{year{2026} / 11 / 24}} + hours{6} + minutes{20} + microseconds{123456};
    return trade;
}

TEST_F(TradeCodecTest, EncodesATradeExactly) {
    std::string out = "prefix:";
    codec_.append_trade(out, sample_trade(), kToday);
    EXPECT_EQ(out,
              R"(prefix:{"trade_id":"T1","version":2,"counter_party_id":"CP-1","book_id":"B1",)"
              R"("maturity_date":"2027-01-31","created_date":"2026-11-20","expired":false,)"
              R"("last_updated":"2026-11-24T06:20:00.123456Z"})");
}

TEST_F(TradeCodecTest, ExpiredFollowsTheBusinessDate) {
    Trade trade = sample_trade();
    trade.maturity_date = kToday;
    std::string today;
    codec_.append_trade(today, trade, kToday);
    EXPECT_NE(today.find("\"expired\":false"), std::string::npos);
    std::string tomorrow;
    codec_.append_trade(tomorrow, trade, kToday + days{1});
    EXPECT_NE(tomorrow.find("\"expired\":true"), std::string::npos);
}

TEST_F(TradeCodecTest, EncodesAListOfTrades) {
    std::string empty;
    codec_.append_trades(empty, {}, kToday);
    EXPECT_EQ(empty, "[]");
    std::string two;
    codec_.append_trades(two, {sample_trade(), sample_trade()}, kToday);
    ASSERT_EQ(two.front(), '[');
    EXPECT_EQ(two.back(), ']');
    EXPECT_NE(two.find("},{\"trade_id\""), std::string::npos);
}

TEST_F(TradeCodecTest, RoundTrip) {
    Trade trade = sample_trade();
    trade.trade_id = "T-\"quoted\"\\é€😀";
    trade.book_id = repeat("😀", 50);
    std::string json;
    codec_.append_trade(json, trade, kToday);
    DecodedTrade back = decode(json);
    ASSERT_TRUE(back.trade) << json;
    Trade expected = trade;
    expected.last_updated = {};  // ignored on input: the server owns it
    EXPECT_EQ(*back.trade, expected);
}

TEST_F(TradeCodecTest, EncodesAnAuditEntry) {
    AuditEntry entry;
    entry.id = 7;
    entry.trade_id = "T1";
    entry.action = AuditAction::ValidationFailed;
    entry.success = false;
    entry.reason_codes = {"LOWER_VERSION", "MATURITY_IN_PAST"};
    entry.message = "Trade T1: \"bad\"";
    entry.received_version = 1;
    entry.source = "rest";
    entry.reference = "req-1";
    entry.timestamp = Timestamp{sys_days{year{2026} / 11 / 24}} + seconds{1};
    std::string out;
    codec_.append_audit(out, entry);
    EXPECT_EQ(out,
              R"({"id":7,"trade_id":"T1","action":"VALIDATION_FAILED","status":"failed",)"
              R"("details":{"reason_codes":["LOWER_VERSION","MATURITY_IN_PAST"],)"
              R"("message":"Trade T1: \"bad\"","received_version":1,"stored_version":null,)"
              R"("source":"rest","reference":"req-1"},"timestamp":"2026-11-24T00:00:01.000000Z"})");
    AuditEntry created;
    created.action = AuditAction::Create;
    created.stored_version = 4;
    out.clear();
    codec_.append_audit(out, created);
    EXPECT_NE(out.find(R"("action":"CREATE","status":"success")"), std::string::npos);
    EXPECT_NE(out.find(R"("reason_codes":[])"), std::string::npos);
    EXPECT_NE(out.find(R"("received_version":null,"stored_version":4)"), std::string::npos);
    EXPECT_NE(out.find(R"("timestamp":"1970-01-01T00:00:00.000000Z")"), std::string::npos);
}

TEST_F(TradeCodecTest, EncodesFieldErrorsWithIndicesAsNumbers) {
    std::string out;
    codec_.append_field_errors(out, {{{"body", "3", "version"}, "Field required", "missing"},
                                     {{"query", "limit"}, "Input should be \"x\"", "int_parsing"},
                                     {{"body", "007"}, "m", "t"}});
    EXPECT_EQ(out,
              R"([{"loc":["body",3,"version"],"msg":"Field required","type":"missing"},)"
              R"({"loc":["query","limit"],"msg":"Input should be \"x\"","type":"int_parsing"},)"
              R"({"loc":["body","007"],"msg":"m","type":"t"}])");
    out.clear();
    codec_.append_field_errors(out, {});
    EXPECT_EQ(out, "[]");
}

}  // namespace
}  // namespace tradestore::kernel
