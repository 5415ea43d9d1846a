#include "array_literal.h"

#include <tradestore/store.h>

namespace tradestore::plugins::pg {

void ArrayLiteral::separate() {
    if (count_++ > 0) text_ += ',';
}

ArrayLiteral& ArrayLiteral::add(std::string_view value) {
    if (value.find('\0') != std::string_view::npos) {
        throw StoreRefused(
            "postgres-store: a text value contains a NUL byte, which "
            "PostgreSQL cannot store");
    }
    separate();
    text_ += '"';
    std::size_t start = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (c == '"' || c == '\\') {
            text_.append(value, start, i - start);
            text_ += '\\';
            start = i;  // the character itself is appended with the next run
        }
    }
    text_.append(value, start, value.size() - start);
    text_ += '"';
    return *this;
}

ArrayLiteral& ArrayLiteral::add(std::int64_t value) {
    separate();
    text_ += std::to_string(value);
    return *this;
}

ArrayLiteral& ArrayLiteral::add(std::optional<std::int64_t> value) {
    return value ? add(*value) : add_null();
}

ArrayLiteral& ArrayLiteral::add_null() {
    separate();
    text_ += "NULL";
    return *this;
}

std::string ArrayLiteral::take() {
    text_.push_back('}');
    std::string result;
    result.swap(text_);
    text_.push_back('{');
    count_ = 0;
    return result;
}

std::int64_t lock_key(std::string_view trade_id) noexcept {
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : trade_id) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return static_cast<std::int64_t>(hash);
}

}  // namespace tradestore::plugins::pg
