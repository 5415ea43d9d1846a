#include "codec_json_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

namespace tradestore::kernel::codec {
namespace {

constexpr unsigned kParseFlags =
    rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag |
    rapidjson::kParseStopWhenDoneFlag | rapidjson::kParseNumbersAsStringsFlag;

int field_index(std::string_view name) {
    switch (name.size()) {
        case 7:
            if (name == "version") return static_cast<int>(TradeField::Version);
            if (name == "book_id") return static_cast<int>(TradeField::BookId);
            if (name == "expired") return static_cast<int>(TradeField::Expired);
            break;
        case 8:
            if (name == "trade_id") return static_cast<int>(TradeField::TradeId);
            break;
        case 12:
            if (name == "created_date") return static_cast<int>(TradeField::CreatedDate);
            break;
        case 13:
            if (name == "maturity_date") return static_cast<int>(TradeField::MaturityDate);
            break;
        case 16:
            if (name == "counter_party_id") return static_cast<int>(TradeField::CounterPartyId);
            break;
        default:
            break;
    }
    return -1;  // unknown fields are ignored, as pydantic does by default
}

// RapidJSON 1.1.0 refuses an escaped lone high surrogate (\ud800) but decodes a lone low one
// (\udc00) into ED B0 80, which is not UTF-8, and a trade id holding it would be refused as
// "too short". Raw bytes are validated already, so ED A0..ED BF in a decoded string can only
// come from such an escape.
bool has_lone_surrogate(std::string_view text) {
    for (std::size_t i = text.find('\xED'); i != std::string_view::npos;
         i = text.find('\xED', i + 1)) {
        if (i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0xA0) return true;
    }
    return false;
}

// Tracks the nesting depth and captures the fields of each item; values nested deeper than
// an item's own fields are only walked over.
class CaptureHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, CaptureHandler> {
  public:
    CaptureHandler(bool batch, std::size_t max_items, ItemVisitor& visitor)
        : batch_(batch), item_depth_(batch ? 1 : 0), max_items_(max_items), visitor_(visitor) {}

    bool Null() { return value(JsonKind::Null, {}, false); }
    bool Bool(bool b) { return value(JsonKind::Bool, {}, b); }
    bool RawNumber(const char* text, rapidjson::SizeType length, bool) {
        return value(JsonKind::Number, {text, length}, false);
    }
    bool String(const char* text, rapidjson::SizeType length, bool) {
        if (has_lone_surrogate({text, length})) return refuse_surrogate();
        return value(JsonKind::String, {text, length}, false);
    }
    bool StartObject() {
        value(JsonKind::Object, {}, false);
        ++depth_;
        return true;
    }
    bool Key(const char* text, rapidjson::SizeType length, bool) {
        if (has_lone_surrogate({text, length})) return refuse_surrogate();
        if (in_item_ && depth_ == item_depth_ + 1) field_ = field_index({text, length});
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        if (in_item_ && depth_ == item_depth_) {
            in_item_ = false;
            visitor_.item(count_ - 1, item_);
        }
        return true;
    }
    bool StartArray() {
        value(JsonKind::Array, {}, false);
        ++depth_;
        return true;
    }
    bool EndArray(rapidjson::SizeType) {
        --depth_;
        return true;
    }

    bool root_is_array() const { return root_is_array_; }
    // The parse stopped at a lone low surrogate rather than at a syntax error of RapidJSON's.
    bool refused_surrogate() const { return refused_surrogate_; }
    std::size_t count() const { return count_; }

  private:
    bool refuse_surrogate() {
        refused_surrogate_ = true;
        return false;
    }

    bool value(JsonKind kind, std::string_view text, bool boolean) {
        if (batch_ && depth_ == 0) {
            root_is_array_ = kind == JsonKind::Array;
            return true;
        }
        if (batch_ && !root_is_array_) return true;
        if (depth_ == item_depth_) {
            const std::size_t index = count_++;
            if (index >= max_items_) return true;
            if (kind == JsonKind::Object) {
                in_item_ = true;
                field_ = -1;
                item_.is_object = true;
                for (RawValue& field : item_.fields) {
                    field.kind = JsonKind::Absent;
                    field.text.clear();
                }
            } else {
                item_.is_object = false;
                visitor_.item(index, item_);
            }
            return true;
        }
        if (in_item_ && depth_ == item_depth_ + 1 && field_ >= 0) {
            // A repeated key keeps its last value, as Python's json module does.
            RawValue& field = item_.fields[static_cast<std::size_t>(field_)];
            field.kind = kind;
            field.boolean = boolean;
            field.text.assign(text);
        }
        return true;
    }

    const bool batch_;
    const std::size_t item_depth_;
    const std::size_t max_items_;
    ItemVisitor& visitor_;
    std::size_t depth_ = 0;
    std::size_t count_ = 0;
    bool root_is_array_ = false;
    bool in_item_ = false;
    bool refused_surrogate_ = false;
    int field_ = -1;
    RawItem item_;
};

bool is_json_whitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

CaptureResult capture_items(std::string_view json, bool batch, std::size_t max_items,
                            ItemVisitor& visitor) {
    CaptureResult result;
    CaptureHandler handler(batch, batch ? max_items : 1, visitor);
    rapidjson::MemoryStream stream(json.data(), json.size());
    rapidjson::Reader reader;
    const rapidjson::ParseResult parsed = reader.Parse<kParseFlags>(stream, handler);
    if (parsed.IsError()) {
        // A refused low surrogate reads as RapidJSON's own error for a lone high one.
        const rapidjson::ParseErrorCode code =
            handler.refused_surrogate() ? rapidjson::kParseErrorStringUnicodeSurrogateInvalid
                                        : parsed.Code();
        result.syntax_error = SyntaxError{parsed.Offset(), rapidjson::GetParseError_En(code)};
        return result;
    }
    // The parse stopped right after the root value: only whitespace may follow. (A raw NUL
    // byte would end RapidJSON's own check early, hence this one.)
    std::size_t position = stream.Tell();
    while (position < json.size() && is_json_whitespace(json[position])) ++position;
    if (position != json.size()) {
        result.syntax_error = SyntaxError{
            position, rapidjson::GetParseError_En(rapidjson::kParseErrorDocumentRootNotSingular)};
        return result;
    }
    result.root_is_array = handler.root_is_array();
    result.item_count = batch ? handler.count() : 1;
    return result;
}

}  // namespace tradestore::kernel::codec
