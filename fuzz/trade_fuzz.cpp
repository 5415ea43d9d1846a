// The single-trade path of POST /api/v1/trades without a server: the kernel's JSON codec
// (RapidJSON), its shape guard, then the trade-rules plugin's rule chain decided as a store
// decides it, against a fixed stored trade, a tombstone and no stored row.
//
// Invariants: the verdict on each identifier and the version agrees with a second opinion
// from RapidJSON's DOM; a decoded trade passes the shape guard (no control characters, 1..50 code
// points, version >= 1); it re-encodes to valid JSON that decodes to the same trade; a
// refused one has field errors that encode to valid JSON; the rule chain's verdict agrees
// with the versions and dates, and its audit entry encodes to valid JSON. The body itself,
// quoted by the codec's writer, is one valid JSON string.
#include <tradestore/audit_wording.h>
#include <tradestore/decision.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "fuzz_checks.h"
#include "trade_codec.h"
#include "trade_rules.h"
#include "trade_shape.h"

namespace {

using namespace tradestore;
using fuzz::expect;

const kernel::JsonTradeCodec kCodec;
const plugins::TradeRules kRules(true, true);
constexpr Date kBusinessDate{std::chrono::year{2026} / 1 / 15};
constexpr std::int64_t kStoredVersion = 5;

Trade stored_trade(const Trade& incoming) {
    Trade stored = incoming;
    stored.version = kStoredVersion;
    stored.maturity_date = Date{std::chrono::year{2030} / 6 / 30};
    return stored;
}

bool has_code(const Decision& decision, std::string_view code) {
    return std::any_of(decision.reasons.begin(), decision.reasons.end(),
                       [&](const Rejection& r) { return r.code == code; });
}

void check_decision(const Trade& trade, const Trade* stored, std::optional<std::int64_t> deleted) {
    const std::array<const Rule*, 1> chain{&kRules};
    const RuleInput input{trade, stored, deleted, kBusinessDate};
    const Decision decision = decide(chain, input);

    expect((decision.outcome == Outcome::Rejected) == !decision.reasons.empty(),
           "rejected exactly when there are reasons");
    const bool lower = stored != nullptr && trade.version < stored->version;
    expect(has_code(decision, reason::kLowerVersion) == lower, "LOWER_VERSION iff lower");
    expect(has_code(decision, reason::kMaturityInPast) == (trade.maturity_date < kBusinessDate),
           "MATURITY_IN_PAST iff maturity before the business date");
    const bool resurrect = stored == nullptr && deleted && trade.version <= *deleted;
    expect(has_code(decision, reason::kDeletedVersion) == resurrect,
           "DELETED_VERSION iff restoring a deleted version");
    if (decision.outcome != Outcome::Rejected) {
        const Outcome expected = stored == nullptr                  ? Outcome::Created
                                 : trade.version == stored->version ? Outcome::Replaced
                                                                    : Outcome::Updated;
        expect(decision.outcome == expected, "the accepted outcome follows the versions");
    }
    for (const Rejection& rejection : decision.reasons) {
        expect(!kernel::has_control_characters(rejection.message) &&
                   kernel::utf8_length(rejection.message).has_value(),
               "a rejection message is clean UTF-8");
    }

    AuditEntry entry;
    entry.trade_id = trade.trade_id;
    entry.action = audit_action(decision.outcome);
    entry.success = decision.outcome != Outcome::Rejected;
    std::string codes;
    describe_for_audit(trade, decision, stored ? std::optional(stored->version) : std::nullopt,
                       codes, entry.message);
    for (const Rejection& rejection : decision.reasons)
        entry.reason_codes.push_back(rejection.code);
    entry.received_version = trade.version;
    std::string json;
    kCodec.append_audit(json, entry);
    expect(fuzz::is_valid_json(json), "the audit entry encodes to valid JSON");
}

// The writer quotes whatever a client sent (an unknown id in a 404, a bad field in a 422):
// any bytes give one valid JSON string, which reads back as the bytes when they are UTF-8.
void check_quoting(std::string_view bytes) {
    std::string quoted;
    append_json_string(quoted, bytes);
    const auto document = fuzz::parse_json(quoted);
    expect(document && document->IsString(), "any bytes quote to one valid JSON string");
    if (kernel::utf8_length(bytes)) {
        expect(std::string_view(document->GetString(), document->GetStringLength()) == bytes,
               "quoted UTF-8 reads back as itself");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::as_text(data, size);
    check_quoting(body);
    const DecodedOne decoded = kCodec.decode_trade(body);
    if (decoded.syntax_error) {
        expect(decoded.syntax_error->offset <= size, "the syntax error offset is in the body");
        expect(!decoded.syntax_error->message.empty(), "a syntax error has a message");
        return 0;
    }
    expect(fuzz::is_valid_json(body), "the codec accepted what RapidJSON's DOM refuses");
    if (const auto document = fuzz::parse_json(body))
        fuzz::expect_same_verdict(*document, decoded.item);
    if (!decoded.item.trade) {
        expect(!decoded.item.errors.empty(), "a refused trade has field errors");
        std::string errors;
        kCodec.append_field_errors(errors, decoded.item.errors);
        expect(fuzz::is_valid_json(errors), "field errors encode to valid JSON");
        return 0;
    }
    expect(decoded.item.errors.empty(), "an accepted trade has no field errors");
    const Trade& trade = *decoded.item.trade;
    fuzz::expect_well_formed(trade, "decode_trade");

    std::string encoded;
    kCodec.append_trade(encoded, trade, kBusinessDate);
    expect(fuzz::is_valid_json(encoded), "an accepted trade encodes to valid JSON");
    const DecodedOne again = kCodec.decode_trade(encoded);
    expect(!again.syntax_error && again.item.trade.has_value(), "an encoded trade decodes again");
    expect(*again.item.trade == trade, "encode then decode gives the same trade");

    const Trade stored = stored_trade(trade);
    check_decision(trade, nullptr, std::nullopt);
    check_decision(trade, &stored, std::nullopt);
    check_decision(trade, nullptr, kStoredVersion);
    return 0;
}
