#include "fuzz_checks.h"

#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "trade_shape.h"

namespace tradestore::fuzz {

void expect(bool holds, std::string_view what) {
    if (holds) return;
    std::fprintf(stderr, "invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

std::unique_ptr<rapidjson::Document> parse_json(std::string_view text) {
    auto document = std::make_unique<rapidjson::Document>();
    document->Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (document->HasParseError()) return nullptr;
    return document;
}

bool is_valid_json(std::string_view text) {
    // Numbers as text, as the codec reads them: 1e400 is valid JSON, only too big for a double.
    rapidjson::Document document;
    document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag>(
        text.data(), text.size());
    return !document.HasParseError();
}

namespace {

// The last member of that name (the codec keeps the last of repeated keys), or null.
const rapidjson::Value* last_member(const rapidjson::Value& object, std::string_view name) {
    const rapidjson::Value* found = nullptr;
    for (const auto& member : object.GetObject()) {
        if (std::string_view(member.name.GetString(), member.name.GetStringLength()) == name)
            found = &member.value;
    }
    return found;
}

std::vector<const FieldError*> errors_of(const DecodedTrade& decoded, std::string_view field) {
    std::vector<const FieldError*> found;
    for (const FieldError& error : decoded.errors)
        if (!error.loc.empty() && error.loc.back() == field) found.push_back(&error);
    return found;
}

std::string_view text_of(const rapidjson::Value& value) {
    return {value.GetString(), value.GetStringLength()};
}

}  // namespace

void expect_same_verdict(const rapidjson::Value& item, const DecodedTrade& decoded) {
    if (!item.IsObject()) {
        expect(!decoded.trade && decoded.errors.size() == 1, "a non-object item has one error");
        return;
    }
    for (std::string_view field : {"trade_id", "counter_party_id", "book_id"}) {
        const std::string name(field);
        const std::vector<const FieldError*> errors = errors_of(decoded, field);
        const rapidjson::Value* value = last_member(item, field);
        if (value == nullptr) {
            expect(errors.size() == 1 && errors[0]->type == "missing", name + ": missing");
            continue;
        }
        if (!value->IsString()) {
            expect(errors.size() == 1 && errors[0]->type == "string_type",
                   name + ": a non-string is refused as such");
            continue;
        }
        const std::string_view text = text_of(*value);
        const auto length = kernel::utf8_length(text);
        const bool valid = length && *length >= 1 && *length <= kernel::kMaxIdLength &&
                           !kernel::has_control_characters(text);
        expect(valid == errors.empty(), name + ": an error exactly when the identifier is bad");
        if (!text.empty()) {
            for (const FieldError* error : errors) {
                expect(error->type != "string_too_short",
                       name + ": a non-empty identifier is not too short");
            }
        }
    }
    const rapidjson::Value* version = last_member(item, "version");
    const std::vector<const FieldError*> version_errors = errors_of(decoded, "version");
    if (version == nullptr) {
        expect(version_errors.size() == 1 && version_errors[0]->type == "missing",
               "version: missing");
    } else {
        const bool valid = version->IsInt64() && version->GetInt64() >= kMinVersion;
        expect(valid == version_errors.empty(), "version: an error exactly when not an int >= 1");
    }
}

void expect_well_formed(const Trade& trade, std::string_view where) {
    const std::string context(where);
    expect(!kernel::shape_problem(Candidate{trade, {}, {}, {}, false}),
           context + ": the shape guard refuses a decoded trade");
    for (const std::string* id : {&trade.trade_id, &trade.counter_party_id, &trade.book_id}) {
        expect(!kernel::has_control_characters(*id),
               context + ": an identifier with a control character was accepted");
    }
    const std::chrono::year_month_day maturity{trade.maturity_date};
    expect(maturity.ok() && static_cast<int>(maturity.year()) >= 1 &&
               static_cast<int>(maturity.year()) <= 9999,
           context + ": maturity_date outside 0001..9999");
}

}  // namespace tradestore::fuzz
