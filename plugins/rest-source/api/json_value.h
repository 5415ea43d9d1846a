// A small JSON value tree with ordered object keys, for documents built once (the OpenAPI
// document), not for the request path.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tradestore::rest {

class JsonValue {
  public:
    using Member = std::pair<std::string, JsonValue>;
    using Object = std::vector<Member>;
    using Array = std::vector<JsonValue>;

    JsonValue() : value_(nullptr) {}
    JsonValue(std::nullptr_t) : value_(nullptr) {}
    JsonValue(bool value) : value_(value) {}
    JsonValue(int value) : value_(static_cast<std::int64_t>(value)) {}
    JsonValue(std::int64_t value) : value_(value) {}
    JsonValue(std::uint64_t value) : value_(static_cast<std::int64_t>(value)) {}
    JsonValue(double value) : value_(value) {}
    JsonValue(const char* value) : value_(std::string(value)) {}
    JsonValue(std::string_view value) : value_(std::string(value)) {}
    JsonValue(std::string value) : value_(std::move(value)) {}
    JsonValue(Object value) : value_(std::make_shared<Object>(std::move(value))) {}
    JsonValue(Array value) : value_(std::make_shared<Array>(std::move(value))) {}

    // Adds (or replaces) a member of an object.
    JsonValue& set(std::string key, JsonValue value);
    // Appends to an array.
    JsonValue& push(JsonValue value);

    const JsonValue* find(std::string_view key) const;  // object member, or nullptr
    bool is_object() const;

    void dump(std::string& out) const;
    std::string dump() const {
        std::string out;
        dump(out);
        return out;
    }

  private:
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, std::shared_ptr<Object>,
                 std::shared_ptr<Array>>
        value_;
};

inline JsonValue object(std::initializer_list<JsonValue::Member> members) {
    return JsonValue(JsonValue::Object(members));
}
inline JsonValue array(std::initializer_list<JsonValue> items) {
    return JsonValue(JsonValue::Array(items));
}

}  // namespace tradestore::rest
