#include "json_value.h"

#include <tradestore/json_text.h>

#include <charconv>
#include <cmath>

namespace tradestore::rest {

JsonValue& JsonValue::set(std::string key, JsonValue value) {
    if (!std::holds_alternative<std::shared_ptr<Object>>(value_)) {
        value_ = std::make_shared<Object>();
    }
    Object& members = *std::get<std::shared_ptr<Object>>(value_);
    for (Member& member : members) {
        if (member.first == key) {
            member.second = std::move(value);
            return member.second;
        }
    }
    members.emplace_back(std::move(key), std::move(value));
    return members.back().second;
}

JsonValue& JsonValue::push(JsonValue value) {
    if (!std::holds_alternative<std::shared_ptr<Array>>(value_)) {
        value_ = std::make_shared<Array>();
    }
    Array& items = *std::get<std::shared_ptr<Array>>(value_);
    items.push_back(std::move(value));
    return items.back();
}

bool JsonValue::is_object() const {
    return std::holds_alternative<std::shared_ptr<Object>>(value_);
}

const JsonValue* JsonValue::find(std::string_view key) const {
    if (!is_object()) return nullptr;
    for (const Member& member : *std::get<std::shared_ptr<Object>>(value_)) {
        if (member.first == key) return &member.second;
    }
    return nullptr;
}

void JsonValue::dump(std::string& out) const {
    struct Visitor {
        std::string& out;
        void operator()(std::nullptr_t) const { out.append("null"); }
        void operator()(bool value) const { out.append(value ? "true" : "false"); }
        void operator()(std::int64_t value) const {
            char buffer[24];
            const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
            out.append(buffer, result.ptr);
        }
        void operator()(double value) const {
            if (!std::isfinite(value)) {
                out.append("null");
                return;
            }
            char buffer[32];
            const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
            out.append(buffer, result.ptr);
        }
        void operator()(const std::string& value) const { append_json_string(out, value); }
        void operator()(const std::shared_ptr<Object>& members) const {
            out.push_back('{');
            bool first = true;
            for (const Member& member : *members) {
                if (!first) out.push_back(',');
                first = false;
                append_json_string(out, member.first);
                out.push_back(':');
                member.second.dump(out);
            }
            out.push_back('}');
        }
        void operator()(const std::shared_ptr<Array>& items) const {
            out.push_back('[');
            bool first = true;
            for (const JsonValue& item : *items) {
                if (!first) out.push_back(',');
                first = false;
                item.dump(out);
            }
            out.push_back(']');
        }
    };
    std::visit(Visitor{out}, value_);
}

}  // namespace tradestore::rest
