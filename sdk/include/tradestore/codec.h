// The kernel's trade codec, offered to sources so that every source checks shape the same
// way: malformed JSON, missing fields, wrong types, bad ids and impossible dates never reach
// the rules or a store.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tradestore/history.h"
#include "tradestore/json_text.h"
#include "tradestore/outcome.h"
#include "tradestore/store.h"
#include "tradestore/trade.h"

namespace tradestore {

// One field error in the shape of FastAPI's validation errors.
struct FieldError {
    std::vector<std::string> loc;  // e.g. {"body", "version"}; batch items add the index
    std::string msg;
    std::string
        type;  // e.g. "missing", "int_type", "string_too_long", "date_from_datetime_parsing"

    bool operator==(const FieldError&) const = default;
};

struct SyntaxError {
    std::size_t offset = 0;  // byte offset of the error in the body
    std::string message;
};

// "Malformed JSON at offset N: <message>", the one wording every source gives a syntax error
// (REST's 400 detail, a dead letter's error, try-rule's answer).
inline std::string describe_syntax_error(const SyntaxError& error) {
    return "Malformed JSON at offset " + std::to_string(error.offset) + ": " + error.message;
}

struct DecodedTrade {
    std::optional<Trade> trade;      // set when the item is well formed
    std::vector<FieldError> errors;  // set otherwise
};

struct DecodedBatch {
    std::optional<SyntaxError> syntax_error;
    bool not_an_array = false;
    std::size_t item_count = 0;
    std::vector<DecodedTrade> items;  // empty when item_count exceeds the limit
};

struct DecodedOne {
    std::optional<SyntaxError> syntax_error;
    DecodedTrade item;
};

class TradeCodec {
  public:
    virtual ~TradeCodec() = default;
    virtual DecodedOne decode_trade(std::string_view json) const = 0;
    // Items beyond max_items are not decoded; the caller answers 413.
    virtual DecodedBatch decode_batch(std::string_view json, std::size_t max_items) const = 0;
    // What a trade_id field holding `id` would be refused for (loc {"trade_id"}); empty when
    // valid. `id` may be any bytes (a Kafka key, a URL segment).
    virtual std::vector<FieldError> check_trade_id(std::string_view id) const = 0;

    // The eight fields; `expired` as of the business date.
    virtual void append_trade(std::string& out, const Trade& trade, Date business_date) const = 0;
    virtual void append_trades(std::string& out, const std::vector<Trade>& trades,
                               Date business_date) const = 0;
    virtual void append_audit(std::string& out, const AuditEntry& entry) const = 0;
    // One version of a trade: {"history_id" (when given), "version", "action",
    // "previous_version", "recorded_at", "business_date", "source", "reference", "trade"}, the
    // trade's `expired` as of the record's business date (the version as it stood). As the
    // history API lists versions and the change feed publishes them.
    virtual void append_history_record(std::string& out, const HistoryRecord& record,
                                       std::optional<std::int64_t> history_id) const = 0;
    virtual void append_field_errors(std::string& out,
                                     const std::vector<FieldError>& errors) const = 0;
};

}  // namespace tradestore
