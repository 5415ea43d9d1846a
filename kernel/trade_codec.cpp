#include "trade_codec.h"

#include <charconv>
#include <chrono>
#include <utility>

#include "codec_json_reader.h"
#include "codec_json_writer.h"
#include "trade_shape.h"

namespace tradestore::kernel {
namespace {

using codec::JsonKind;
using codec::RawItem;
using codec::RawValue;
using codec::TradeField;

constexpr std::string_view kFieldNames[codec::kTradeFieldCount] = {
    "trade_id",      "version",      "counter_party_id", "book_id",
    "maturity_date", "created_date", "expired"};

// Collects the errors of one item under its location prefix ({"body"} or {"body", "3"}).
class FieldErrors {
  public:
    FieldErrors(std::vector<FieldError>& errors, const std::vector<std::string>& prefix)
        : errors_(errors), prefix_(prefix) {}

    void add(TradeField field, std::string_view type, std::string_view msg) {
        FieldError& error = errors_.emplace_back();
        error.loc.reserve(prefix_.size() + 1);
        error.loc = prefix_;
        error.loc.emplace_back(kFieldNames[static_cast<std::size_t>(field)]);
        error.msg = msg;
        error.type = type;
    }
    void add_to_item(std::string_view type, std::string_view msg) {
        errors_.push_back(FieldError{prefix_, std::string(msg), std::string(type)});
    }

  private:
    std::vector<FieldError>& errors_;
    const std::vector<std::string>& prefix_;
};

void missing(FieldErrors& errors, TradeField field) {
    errors.add(field, "missing", "Field required");
}

// The parser has already checked that the text is valid UTF-8.
void identifier(const RawValue& value, TradeField field, FieldErrors& errors, std::string& out) {
    if (value.kind == JsonKind::Absent) return missing(errors, field);
    if (value.kind != JsonKind::String) {
        return errors.add(field, "string_type", "Input should be a valid string");
    }
    const std::string& text = value.text;
    const std::size_t code_points = utf8_length(text).value_or(0);
    const bool control = has_control_characters(text);
    if (code_points < 1) {
        return errors.add(field, "string_too_short", "String should have at least 1 character");
    }
    if (code_points > kMaxIdLength) {
        return errors.add(field, "string_too_long", "String should have at most 50 characters");
    }
    if (control) {
        return errors.add(field, "string_pattern_mismatch",
                          "String must not contain control characters");
    }
    out = text;
}

void version(const RawValue& value, FieldErrors& errors, std::int64_t& out) {
    constexpr TradeField field = TradeField::Version;
    if (value.kind == JsonKind::Absent) return missing(errors, field);
    if (value.kind != JsonKind::Number) {
        return errors.add(field, "int_type", "Input should be a valid integer");
    }
    const std::string& text = value.text;
    if (text.find_first_of(".eE") != std::string::npos) {
        return errors.add(field, "int_from_float",
                          "Input should be a valid integer, got a number with a fractional part");
    }
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return errors.add(field, "int_parsing",
                          "Input should be a valid integer, got a number outside the 64-bit range");
    }
    if (number < kMinVersion) {
        return errors.add(field, "greater_than_equal",
                          "Input should be greater than or equal to 1");
    }
    out = number;
}

void date(const RawValue& value, TradeField field, bool required, FieldErrors& errors, Date& out) {
    if (value.kind == JsonKind::Absent || (!required && value.kind == JsonKind::Null)) {
        if (required) missing(errors, field);
        return;
    }
    std::optional<Date> parsed;
    if (value.kind == JsonKind::String) parsed = parse_date(value.text);
    if (!parsed) {
        return errors.add(field, "date_from_datetime_parsing",
                          "Input should be a valid date in the format YYYY-MM-DD");
    }
    out = *parsed;
}

DecodedTrade decode_item(const RawItem& raw, const std::vector<std::string>& prefix) {
    DecodedTrade decoded;
    FieldErrors errors(decoded.errors, prefix);
    if (!raw.is_object) {
        errors.add_to_item("model_attributes_type",
                           "Input should be a valid dictionary or object to extract fields from");
        return decoded;
    }
    Trade trade;
    identifier(raw[TradeField::TradeId], TradeField::TradeId, errors, trade.trade_id);
    version(raw[TradeField::Version], errors, trade.version);
    identifier(raw[TradeField::CounterPartyId], TradeField::CounterPartyId, errors,
               trade.counter_party_id);
    identifier(raw[TradeField::BookId], TradeField::BookId, errors, trade.book_id);
    date(raw[TradeField::MaturityDate], TradeField::MaturityDate, true, errors,
         trade.maturity_date);
    date(raw[TradeField::CreatedDate], TradeField::CreatedDate, false, errors, trade.created_date);
    const JsonKind expired = raw[TradeField::Expired].kind;
    if (expired != JsonKind::Absent && expired != JsonKind::Bool) {
        errors.add(TradeField::Expired, "bool_type", "Input should be a valid boolean");
    }
    if (decoded.errors.empty()) decoded.trade = std::move(trade);
    return decoded;
}

class OneVisitor final : public codec::ItemVisitor {
  public:
    void item(std::size_t, const RawItem& raw) override {
        static const std::vector<std::string> kPrefix{"body"};
        decoded = decode_item(raw, kPrefix);
    }
    DecodedTrade decoded;
};

class BatchVisitor final : public codec::ItemVisitor {
  public:
    explicit BatchVisitor(std::vector<DecodedTrade>& items) : items_(items) {}
    void item(std::size_t index, const RawItem& raw) override {
        prefix_[1] = std::to_string(index);
        items_.push_back(decode_item(raw, prefix_));
    }

  private:
    std::vector<DecodedTrade>& items_;
    std::vector<std::string> prefix_{"body", ""};
};

bool is_index(std::string_view segment) {
    if (segment.empty() || segment.size() > 18) return false;
    if (segment.size() > 1 && segment[0] == '0') return false;  // not a JSON number
    for (char c : segment) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

}  // namespace

std::vector<FieldError> JsonTradeCodec::check_trade_id(std::string_view id) const {
    std::vector<FieldError> errors;
    const std::vector<std::string> no_prefix;
    FieldErrors field_errors(errors, no_prefix);
    if (!utf8_length(id)) {
        field_errors.add(TradeField::TradeId, "string_unicode", "Input should be valid UTF-8");
        return errors;
    }
    RawValue value;
    value.kind = JsonKind::String;
    value.text = std::string(id);
    std::string ignored;
    identifier(value, TradeField::TradeId, field_errors, ignored);
    return errors;
}

DecodedOne JsonTradeCodec::decode_trade(std::string_view json) const {
    OneVisitor visitor;
    const codec::CaptureResult captured = codec::capture_items(json, false, 1, visitor);
    DecodedOne result;
    if (captured.syntax_error) {
        result.syntax_error = captured.syntax_error;
    } else {
        result.item = std::move(visitor.decoded);
    }
    return result;
}

DecodedBatch JsonTradeCodec::decode_batch(std::string_view json, std::size_t max_items) const {
    DecodedBatch result;
    BatchVisitor visitor(result.items);
    const codec::CaptureResult captured = codec::capture_items(json, true, max_items, visitor);
    if (captured.syntax_error) {
        result.syntax_error = captured.syntax_error;
        result.items.clear();
        return result;
    }
    result.not_an_array = !captured.root_is_array;
    result.item_count = captured.root_is_array ? captured.item_count : 0;
    if (result.item_count > max_items) result.items.clear();
    return result;
}

void JsonTradeCodec::append_trade(std::string& out, const Trade& trade, Date business_date) const {
    out.reserve(out.size() + 200 + trade.trade_id.size() + trade.counter_party_id.size() +
                trade.book_id.size());
    out.append("{\"trade_id\":");
    append_json_string(out, trade.trade_id);
    out.append(",\"version\":");
    append_json_int(out, trade.version);
    out.append(",\"counter_party_id\":");
    append_json_string(out, trade.counter_party_id);
    out.append(",\"book_id\":");
    append_json_string(out, trade.book_id);
    out.append(",\"maturity_date\":");
    codec::append_quoted_date(out, trade.maturity_date);
    out.append(",\"created_date\":");
    codec::append_quoted_date(out, trade.created_date);
    out.append(is_expired(trade, business_date) ? ",\"expired\":true" : ",\"expired\":false");
    out.append(",\"last_updated\":");
    codec::append_quoted_timestamp(out, trade.last_updated);
    out.push_back('}');
}

void JsonTradeCodec::append_trades(std::string& out, const std::vector<Trade>& trades,
                                   Date business_date) const {
    out.reserve(out.size() + 2 + trades.size() * 230);
    out.push_back('[');
    for (std::size_t i = 0; i < trades.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_trade(out, trades[i], business_date);
    }
    out.push_back(']');
}

void JsonTradeCodec::append_history_record(std::string& out, const HistoryRecord& record,
                                           std::optional<std::int64_t> history_id) const {
    out.push_back('{');
    if (history_id) {
        out.append("\"history_id\":");
        append_json_int(out, *history_id);
        out.push_back(',');
    }
    out.append("\"version\":");
    append_json_int(out, record.trade.version);
    out.append(",\"action\":");
    append_json_string(out, to_string(record.action));
    out.append(",\"previous_version\":");
    codec::append_optional_int(out, record.previous_version);
    out.append(",\"recorded_at\":");
    codec::append_quoted_timestamp(out, record.recorded_at);
    out.append(",\"business_date\":");
    codec::append_quoted_date(out, record.business_date);
    out.append(",\"source\":");
    append_json_string(out, record.source);
    out.append(",\"reference\":");
    append_json_string(out, record.reference);
    out.append(",\"trade\":");
    append_trade(out, record.trade, record.business_date);
    out.push_back('}');
}

void JsonTradeCodec::append_audit(std::string& out, const AuditEntry& entry) const {
    out.append("{\"id\":");
    append_json_int(out, entry.id);
    out.append(",\"trade_id\":");
    append_json_string(out, entry.trade_id);
    out.append(",\"action\":");
    append_json_string(out, to_string(entry.action));
    out.append(entry.success ? ",\"status\":\"success\"" : ",\"status\":\"failed\"");
    out.append(",\"details\":{\"reason_codes\":[");
    for (std::size_t i = 0; i < entry.reason_codes.size(); ++i) {
        if (i != 0) out.push_back(',');
        append_json_string(out, entry.reason_codes[i]);
    }
    out.append("],\"message\":");
    append_json_string(out, entry.message);
    out.append(",\"received_version\":");
    codec::append_optional_int(out, entry.received_version);
    out.append(",\"stored_version\":");
    codec::append_optional_int(out, entry.stored_version);
    out.append(",\"source\":");
    append_json_string(out, entry.source);
    out.append(",\"reference\":");
    append_json_string(out, entry.reference);
    out.append("},\"timestamp\":");
    codec::append_quoted_timestamp(out, entry.timestamp);
    out.push_back('}');
}

void JsonTradeCodec::append_field_errors(std::string& out,
                                         const std::vector<FieldError>& errors) const {
    out.push_back('[');
    for (std::size_t i = 0; i < errors.size(); ++i) {
        const FieldError& error = errors[i];
        if (i != 0) out.push_back(',');
        out.append("{\"loc\":[");
        for (std::size_t k = 0; k < error.loc.size(); ++k) {
            if (k != 0) out.push_back(',');
            if (k != 0 && is_index(error.loc[k])) {
                out.append(error.loc[k]);
            } else {
                append_json_string(out, error.loc[k]);
            }
        }
        out.append("],\"msg\":");
        append_json_string(out, error.msg);
        out.append(",\"type\":");
        append_json_string(out, error.type);
        out.push_back('}');
    }
    out.push_back(']');
}

}  // namespace tradestore::kernel
