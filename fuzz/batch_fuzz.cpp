// The body of POST /api/v1/trades/batch through the kernel's codec (decode_batch), at the
// REST source's default item limit and at a tiny one.
//
// Invariants: both limits agree on syntax, on the root being an array and on the item count;
// a batch within a limit has one result per item, each either a well-formed trade or field
// errors located under its own index, agreeing with RapidJSON's DOM on identifiers and
// versions; a batch over the limit has no items (the source answers
// 413); the accepted trades re-encode as an array that decodes to the same trades.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_checks.h"
#include "trade_codec.h"

namespace {

using namespace tradestore;
using fuzz::expect;

const kernel::JsonTradeCodec kCodec;
constexpr std::size_t kRestLimit = 1000;  // rest-source's default max_batch_items
constexpr std::size_t kSmallLimit = 2;
constexpr Date kBusinessDate{std::chrono::year{2026} / 1 / 15};

void check_items(const DecodedBatch& batch, std::size_t limit) {
    if (batch.syntax_error || batch.not_an_array) {
        expect(batch.items.empty() && batch.item_count == 0, "no items without an array");
        return;
    }
    if (batch.item_count > limit) {
        expect(batch.items.empty(), "no items decoded past the limit");
        return;
    }
    expect(batch.items.size() == batch.item_count, "one result per item");
    for (std::size_t i = 0; i < batch.items.size(); ++i) {
        const DecodedTrade& item = batch.items[i];
        expect(item.trade.has_value() != !item.errors.empty(), "a trade or field errors");
        if (item.trade) fuzz::expect_well_formed(*item.trade, "decode_batch");
        for (const FieldError& error : item.errors) {
            expect(error.loc.size() >= 2 && error.loc[0] == "body" &&
                       error.loc[1] == std::to_string(i),
                   "a field error is located under its item's index");
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::as_text(data, size);
    const DecodedBatch batch = kCodec.decode_batch(body, kRestLimit);
    const DecodedBatch small = kCodec.decode_batch(body, kSmallLimit);

    expect(batch.syntax_error.has_value() == small.syntax_error.has_value(),
           "the limit does not change the syntax verdict");
    if (batch.syntax_error) {
        expect(batch.syntax_error->offset <= size, "the syntax error offset is in the body");
        expect(batch.syntax_error->offset == small.syntax_error->offset, "same syntax error");
        return 0;
    }
    expect(fuzz::is_valid_json(body), "the codec accepted what RapidJSON's DOM refuses");
    expect(batch.not_an_array == small.not_an_array && batch.item_count == small.item_count,
           "the limit does not change the count");
    check_items(batch, kRestLimit);
    check_items(small, kSmallLimit);
    if (const auto document = fuzz::parse_json(body); document && document->IsArray()) {
        for (std::size_t i = 0; i < batch.items.size(); ++i)
            fuzz::expect_same_verdict((*document)[static_cast<rapidjson::SizeType>(i)],
                                      batch.items[i]);
    }
    if (!small.items.empty()) {
        for (std::size_t i = 0; i < small.items.size(); ++i) {
            expect(small.items[i].trade == batch.items[i].trade &&
                       small.items[i].errors == batch.items[i].errors,
                   "the limit does not change an item's result");
        }
    }

    std::vector<Trade> accepted;
    std::vector<FieldError> errors;
    for (const DecodedTrade& item : batch.items) {
        if (item.trade) accepted.push_back(*item.trade);
        errors.insert(errors.end(), item.errors.begin(), item.errors.end());
    }
    std::string encoded_errors;
    kCodec.append_field_errors(encoded_errors, errors);
    expect(fuzz::is_valid_json(encoded_errors), "field errors encode to valid JSON");

    std::string encoded;
    kCodec.append_trades(encoded, accepted, kBusinessDate);
    expect(fuzz::is_valid_json(encoded), "accepted trades encode to valid JSON");
    const DecodedBatch again = kCodec.decode_batch(encoded, kRestLimit);
    expect(!again.syntax_error && !again.not_an_array && again.items.size() == accepted.size(),
           "the encoded trades decode again");
    for (std::size_t i = 0; i < accepted.size(); ++i) {
        expect(again.items[i].trade == accepted[i], "encode then decode gives the same trades");
    }
    return 0;
}
