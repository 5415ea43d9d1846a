// Query-string parameters with FastAPI's validation: skip and limit as integers within their
// bounds, errors located at {"query", name}.
#pragma once

#include <tradestore/codec.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradestore::rest {

// A decoded query string ('+' is a space, %XX escapes). A repeated name keeps its last value,
// as Starlette does.
class QueryParams {
  public:
    explicit QueryParams(std::string_view query);
    const std::string* find(std::string_view name) const;

  private:
    std::vector<std::pair<std::string, std::string>> params_;
};

std::string percent_decode_query(std::string_view text);

struct Paging {
    std::int64_t skip = 0;
    std::int64_t limit = 100;
};

inline constexpr std::int64_t kMaxLimit = 1000;

// skip: int >= 0 (default 0); limit: int 1..1000 (default 100). Appends one FieldError per
// bad parameter; the returned values are meaningful only when none was added.
Paging parse_paging(const QueryParams& params, std::vector<FieldError>& errors);

// An integer the way pydantic reads one from a string: surrounding whitespace allowed, an
// optional sign, decimal digits; nullopt otherwise or outside int64.
std::optional<std::int64_t> parse_query_int(std::string_view text);

}  // namespace tradestore::rest
