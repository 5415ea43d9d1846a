#include "fuzz_checks.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <rapidjson/document.h>

#include "trade_shape.h"

namespace tradestore::fuzz {

void expect(bool holds, std::string_view what) {
    if (holds) return;
    std::fprintf(stderr, "invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
    std::abort();
}

bool is_valid_json(std::string_view text) {
    rapidjson::Document document;
    document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    return !document.HasParseError();
}

void expect_well_formed(const Trade& trade, std::string_view where) {
    const std::string context(where);
    expect(!kernel::shape_problem(trade), context + ": the shape guard refuses a decoded trade");
    for (const std::string* id : {&trade.trade_id, &trade.counter_party_id, &trade.book_id}) {
        expect(!kernel::has_control_characters(*id),
               context + ": an identifier with a control character was accepted");
    }
    const std::chrono::year_month_day maturity{trade.maturity_date};
    expect(maturity.ok() && static_cast<int>(maturity.year()) >= 1 &&
               static_cast<int>(maturity.year()) <= 9999,
           context + ": maturity_date outside 0001..9999");
}

}  // namespace tradestore::fuzz
