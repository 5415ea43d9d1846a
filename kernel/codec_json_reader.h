// Low-level JSON reading for the trade codec: one streaming (SAX) pass with RapidJSON that
// captures the raw value of each known trade field, without building a document.
//
// The parse validates UTF-8 (a lone surrogate escape, \ud800 or \udc00, is an error too),
// rejects anything but whitespace after the root value, keeps numbers as their source text (so
// 2 and 2.0 stay distinguishable) and never recurses, so a deeply nested body cannot exhaust
// the stack.
#pragma once

#include <tradestore/codec.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tradestore::kernel::codec {

// The trade fields the codec reads, in the order their errors are reported.
enum class TradeField : std::uint8_t {
    TradeId,
    Version,
    CounterPartyId,
    BookId,
    MaturityDate,
    CreatedDate,
    Expired,
};
inline constexpr std::size_t kTradeFieldCount = 7;

enum class JsonKind : std::uint8_t { Absent, Null, Bool, Number, String, Object, Array };

struct RawValue {
    JsonKind kind = JsonKind::Absent;
    bool boolean = false;
    std::string text;  // the decoded string, or a number's source text
};

// One element to decode: an object with its captured fields, or any other value.
struct RawItem {
    bool is_object = false;
    std::array<RawValue, kTradeFieldCount> fields;

    const RawValue& operator[](TradeField field) const {
        return fields[static_cast<std::size_t>(field)];
    }
};

// Receives each captured item as soon as it is complete, in document order. The item is
// reused for the next one, so copy what must outlive the call.
class ItemVisitor {
  public:
    virtual void item(std::size_t index, const RawItem& raw) = 0;

  protected:
    ~ItemVisitor() = default;
};

struct CaptureResult {
    std::optional<SyntaxError> syntax_error;
    bool root_is_array = false;
    std::size_t item_count = 0;  // in batch mode: the root array's size; otherwise 1
};

// Single mode: the root value is the one item. Batch mode: each element of the root array
// is an item; only the first `max_items` are passed to the visitor, but all are counted. A
// root that is not an array is only checked for syntax (root_is_array = false).
// On a syntax error the visitor may already have seen some items; discard them.
CaptureResult capture_items(std::string_view json, bool batch, std::size_t max_items,
                            ItemVisitor& visitor);

}  // namespace tradestore::kernel::codec
