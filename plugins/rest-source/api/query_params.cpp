#include "query_params.h"

#include <charconv>

namespace tradestore::rest {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void bounded_int(const QueryParams& params, std::string_view name, std::int64_t min,
                 std::optional<std::int64_t> max, std::int64_t& value,
                 std::vector<FieldError>& errors) {
    const std::string* text = params.find(name);
    if (text == nullptr) return;
    const std::vector<std::string> loc{"query", std::string(name)};
    const std::optional<std::int64_t> parsed = parse_query_int(*text);
    if (!parsed) {
        errors.push_back({loc,
                          "Input should be a valid integer, unable to parse string as an integer",
                          "int_parsing"});
    } else if (*parsed < min) {
        errors.push_back({loc, "Input should be greater than or equal to " + std::to_string(min),
                          "greater_than_equal"});
    } else if (max && *parsed > *max) {
        errors.push_back({loc, "Input should be less than or equal to " + std::to_string(*max),
                          "less_than_equal"});
    } else {
        value = *parsed;
    }
}

}  // namespace

std::string percent_decode_query(std::string_view text) {
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            decoded.push_back(' ');
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            decoded.push_back(
                static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else {
            decoded.push_back(c);
        }
    }
    return decoded;
}

QueryParams::QueryParams(std::string_view query) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        std::string name = percent_decode_query(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos
                                ? std::string{}
                                : percent_decode_query(pair.substr(eq + 1));
        params_.emplace_back(std::move(name), std::move(value));
    }
}

const std::string* QueryParams::find(std::string_view name) const {
    for (auto it = params_.rbegin(); it != params_.rend(); ++it) {
        if (it->first == name) return &it->second;
    }
    return nullptr;
}

std::optional<std::int64_t> parse_query_int(std::string_view text) {
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (!text.empty() && text.front() == '+') {
        text.remove_prefix(1);
        if (!text.empty() && text.front() == '-') return std::nullopt;
    }
    if (text.empty()) return std::nullopt;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

Paging parse_paging(const QueryParams& params, std::vector<FieldError>& errors) {
    Paging paging;
    bounded_int(params, "skip", 0, std::nullopt, paging.skip, errors);
    bounded_int(params, "limit", 1, kMaxLimit, paging.limit, errors);
    return paging;
}

}  // namespace tradestore::rest
