// The kernel's JSON trade codec, offered to every source through Host::codec() so that all of
// them check shape alike and answer in the shapes of the former FastAPI service.
//
// Decoding (pydantic v2 / FastAPI semantics, every field error reported at once):
//  - The body is parsed with RapidJSON in one streaming pass: invalid UTF-8 (a lone surrogate
//    escape included), malformed JSON and anything but whitespace after the value are a
//    SyntaxError {byte offset, message}.
//  - A trade must be a JSON object; unknown fields are ignored, a repeated field keeps its
//    last value. Errors carry loc {"body", field}, or {"body", "<index>", field} in a batch.
//  - trade_id, counter_party_id, book_id: strings of 1..50 code points without control
//    characters (U+0000..U+001F, U+007F..U+009F).
//  - version: a JSON integer (no fraction, no exponent, so 2.0 is refused) within int64, >= 1.
//  - maturity_date: a real calendar date written exactly "YYYY-MM-DD".
//  - created_date: optional (null means absent), same format. When absent the decoded trade
//    holds Date{} (1970-01-01) and the kernel or source fills in the business date.
//  - expired: optional bool, accepted for compatibility and ignored (the server owns it).
//    last_updated: optional, any value, ignored.
//
// Encoding appends to the caller's string without building a document:
//  - trade: {"trade_id","version","counter_party_id","book_id","maturity_date","created_date",
//    "expired","last_updated"}, expired as of the business date, last_updated with
//    microseconds and a Z.
//  - audit entry: {"id","trade_id","action","status":"success"|"failed","details":
//    {"reason_codes","message","received_version","stored_version","source","reference"},
//    "timestamp"}.
//  - field errors: [{"loc":[...],"msg":..,"type":..}]. As in FastAPI, a loc element made only
//    of digits after the first (an index into a batch) is written as a JSON number.
//  - strings: RFC 8259 escaping, control characters as \u00XX, valid UTF-8 verbatim, invalid
//    bytes replaced by \ufffd.
// The codec holds no state; one instance serves every thread.
#pragma once

#include <tradestore/codec.h>

namespace tradestore::kernel {

class JsonTradeCodec final : public TradeCodec {
  public:
    DecodedOne decode_trade(std::string_view json) const override;
    std::vector<FieldError> check_trade_id(std::string_view id) const override;
    DecodedBatch decode_batch(std::string_view json, std::size_t max_items) const override;

    void append_trade(std::string& out, const Trade& trade, Date business_date) const override;
    void append_trades(std::string& out, const std::vector<Trade>& trades,
                       Date business_date) const override;
    void append_audit(std::string& out, const AuditEntry& entry) const override;
    void append_history_record(std::string& out, const HistoryRecord& record,
                               std::optional<std::int64_t> history_id) const override;
    void append_field_errors(std::string& out,
                             const std::vector<FieldError>& errors) const override;
};

}  // namespace tradestore::kernel
