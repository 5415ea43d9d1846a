// Text-format PostgreSQL array literals, the way whole columns of a batch travel as one
// parameter ("{...}" cast to text[], bigint[] or int[] and expanded with unnest()), and the
// advisory-lock key of a trade id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::plugins::pg {

// Builds "{e1,e2,...}". Text elements are always double-quoted with '"' and '\' escaped by a
// backslash, so that no content (quotes, commas, braces, blanks, the word NULL, non-ASCII)
// can change the array's shape; a NUL byte cannot be represented and is refused
// (StoreRefused: data PostgreSQL cannot hold, like the server's own refusals).
class ArrayLiteral {
  public:
    ArrayLiteral() : text_("{") {}

    void reserve(std::size_t bytes) { text_.reserve(bytes); }
    // Throws StoreRefused for a value containing a NUL byte.
    ArrayLiteral& add(std::string_view value);
    ArrayLiteral& add(std::int64_t value);
    ArrayLiteral& add(std::optional<std::int64_t> value);
    ArrayLiteral& add_null();

    bool empty() const noexcept { return count_ == 0; }
    std::size_t size() const noexcept { return count_; }
    // The finished literal; the builder is left empty.
    std::string take();

  private:
    void separate();

    std::string text_;
    std::size_t count_ = 0;
};

// 64-bit FNV-1a of the id's bytes, as a signed bigint: the key of the transaction-level
// advisory lock that serializes writers of one trade id across every connection and process.
// Stable across platforms and releases (it is a protocol between instances: never change it).
std::int64_t lock_key(std::string_view trade_id) noexcept;

}  // namespace tradestore::plugins::pg
