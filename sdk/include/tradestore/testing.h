// The SDK test kit: test a rule in a few lines, without a daemon, with any test framework
// (it includes no framework and reports through return values and exceptions).
//
//   using namespace tradestore::testing;
//   const auto rule = create_rule(plugin_descriptor(), "books = B1, B2");
//   EXPECT_EQ(codes(check(*rule, trade({.id = "T1", .book = "B9"}))),
//             std::vector<std::string>{"BOOK_NOT_ALLOWED"});
//   EXPECT_EQ(decide(*rule, trade({.version = 1}), {.row = trade({.version = 2})}).outcome,
//             Outcome::Rejected);  // the SDK's version guard, as every store runs it
//
// Three levels, each as the daemon runs it:
//  - check():  the rule alone, called with the RuleInput a store builds;
//  - decide(): the rule inside tradestore::decide(), with the SDK's version and tombstone
//              guards, for one trade against a given stored state;
//  - Ledger:   trades (and deletes) applied in order against an in-memory stored state through
//              tradestore::decide_batch(), the loop every store runs in its transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tradestore/batch_decision.h"
#include "tradestore/decision.h"
#include "tradestore/outcome.h"
#include "tradestore/plugin.h"
#include "tradestore/rule.h"
#include "tradestore/settings.h"
#include "tradestore/trade.h"

// Defined by TRADESTORE_PLUGIN in the plugin's source; compile that source into the test to
// reach its descriptor with tradestore::testing::plugin_descriptor().
extern "C" const ::tradestore::PluginDescriptor* tradestore_plugin_descriptor();

namespace tradestore::testing {

// "YYYY-MM-DD" as a real calendar date; anything else throws std::invalid_argument, so a typo
// in a test fails loudly instead of testing another date.
inline Date date(std::string_view text) {
    if (const std::optional<Date> parsed = parse_date(text)) return *parsed;
    throw std::invalid_argument("not a YYYY-MM-DD date: '" + std::string(text) + "'");
}

// The business date of every helper below unless a test gives its own.
inline constexpr std::string_view kBusinessDate = "2025-06-02";

// A trade with sensible defaults: name only what the test is about, in this order, e.g.
// trade({.id = "T2", .version = 3, .book = "B9"}). Dates are written as on the wire.
struct TradeSpec {
    std::string id = "T1";
    std::int64_t version = 1;
    std::string counter_party = "CP-1";
    std::string book = "B1";
    std::string maturity = "2099-12-31";  // far after kBusinessDate: not matured
    std::string created = "2025-06-02";
};

inline Trade trade(const TradeSpec& spec = {}) {
    Trade made;
    made.trade_id = spec.id;
    made.version = spec.version;
    made.counter_party_id = spec.counter_party;
    made.book_id = spec.book;
    made.maturity_date = date(spec.maturity);
    made.created_date = date(spec.created);
    return made;
}

// What the store holds for the incoming trade's id when the rules run: a live row, or the
// version of a deleted trade (its tombstone), or nothing; and the business date.
struct Stored {
    std::optional<Trade> row = std::nullopt;
    std::optional<std::int64_t> deleted_version = std::nullopt;  // only without a row
    std::string business_date = std::string(kBusinessDate);
};

// The reason codes, in order: compare them, or the whole Rejections when messages matter.
inline std::vector<std::string> codes(const std::vector<Rejection>& reasons) {
    std::vector<std::string> out;
    for (const Rejection& reason : reasons) out.push_back(reason.code);
    return out;
}
inline std::vector<std::string> codes(const Decision& decision) {
    return codes(decision.reasons);
}
inline std::vector<std::string> codes(const ItemResult& result) {
    return codes(result.reasons);
}

// The rule alone: what its check() appends for `incoming` against `stored`.
inline std::vector<Rejection> check(const Rule& rule, const Trade& incoming,
                                    const Stored& stored = {}) {
    std::vector<Rejection> reasons;
    rule.check(RuleInput{incoming, stored.row ? &*stored.row : nullptr, stored.deleted_version,
                         date(stored.business_date)},
               reasons);
    return reasons;
}

// The rule alone, asked about a delete of the stored trade (RuleInput::deleting).
inline std::vector<Rejection> check_delete(const Rule& rule, const Trade& stored,
                                           std::string_view business_date = kBusinessDate) {
    std::vector<Rejection> reasons;
    rule.check(RuleInput{stored, &stored, std::nullopt, date(business_date), /*deleting=*/true},
               reasons);
    return reasons;
}

// The rules in order with the SDK's guards: the decision a store makes for `incoming`.
inline Decision decide(std::span<const Rule* const> rules, const Trade& incoming,
                       const Stored& stored = {}) {
    return tradestore::decide(rules, RuleInput{incoming, stored.row ? &*stored.row : nullptr,
                                               stored.deleted_version, date(stored.business_date)});
}
inline Decision decide(const Rule& rule, const Trade& incoming, const Stored& stored = {}) {
    const Rule* const rules[] = {&rule};
    return decide(rules, incoming, stored);
}

// An in-memory store: each apply() or remove() is one batch of one candidate, decided by
// decide_batch() against what the calls before left, as a store does in its transaction.
// The rules must outlive the ledger. Timestamps are deterministic: the business date's
// midnight, one second more per call.
class Ledger {
  public:
    explicit Ledger(std::vector<const Rule*> rules, std::string_view business_date = kBusinessDate)
        : rules_(std::move(rules)),
          business_date_(date(business_date)),
          now_(std::chrono::sys_days(business_date_)) {}
    explicit Ledger(const Rule& rule, std::string_view business_date = kBusinessDate)
        : Ledger(std::vector<const Rule*>{&rule}, business_date) {}

    // A new version of a trade (created, updated, replaced or rejected).
    ItemResult apply(const Trade& incoming) {
        Candidate candidate;
        candidate.trade = incoming;
        return submit(std::move(candidate));
    }
    // A delete of the trade (deleted, or rejected: NOT_FOUND without a live row).
    ItemResult remove(std::string trade_id) {
        return submit(delete_candidate(std::move(trade_id), "test", ""));
    }

    // The live row, or nullptr when the trade is not stored (never, or deleted).
    const Trade* find(std::string_view trade_id) const {
        const auto found = states_.find(trade_id);
        return found == states_.end() || !found->second.row ? nullptr : &*found->second.row;
    }
    // The deleted version of a trade that has no live row.
    std::optional<std::int64_t> tombstone(std::string_view trade_id) const {
        const auto found = states_.find(trade_id);
        return found == states_.end() ? std::nullopt : found->second.tombstone;
    }
    void set_business_date(std::string_view business_date) { business_date_ = date(business_date); }

  private:
    ItemResult submit(Candidate candidate) {
        candidate.source = "test";
        Batch batch;
        batch.candidates.push_back(std::move(candidate));
        now_ += std::chrono::seconds{1};
        BatchPlan plan =
            decide_batch(batch, rules_, business_date_, now_, RecordedPositions{},
                         [this](const std::string& trade_id) {
                             const auto found = states_.find(trade_id);
                             return found == states_.end() ? StoredState{} : found->second;
                         });
        for (const TradeWrite& write : plan.writes) {
            const Trade& written = *plan.results[write.candidate].stored;
            StoredState& state = states_[written.trade_id];
            if (write.deletes) {
                state = StoredState{std::nullopt, written.version, written.last_updated};
            } else {
                state = StoredState{written, std::nullopt, std::nullopt};
            }
        }
        return std::move(plan.results.front());
    }

    std::vector<const Rule*> rules_;
    Date business_date_;
    Timestamp now_;
    std::map<std::string, StoredState, std::less<>> states_;
};

// The descriptor of the plugin whose source is compiled into the test binary.
inline const PluginDescriptor& plugin_descriptor() {
    return *tradestore_plugin_descriptor();
}

// The plugin's settings from config text as in its [plugin.<name>] section ("key = value"
// lines; blank lines, '#'/';' comments and a [section] line are skipped), checked as the
// daemon checks them: unknown and missing keys, types and ranges, then the plugin's own
// check_settings. Defaults fill the rest. Throws std::invalid_argument listing every problem,
// one "line N: key: problem" a line (line 0: a key that is missing). The daemon's config
// check adds what text alone cannot have: ${VAR} and ${file:} references, "did you mean".
inline Settings settings_from(const PluginDescriptor& descriptor, std::string_view text) {
    const auto trim = [](std::string_view s) {
        while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
            s.remove_suffix(1);
        return s;
    };
    std::map<std::string, std::string, std::less<>> values;
    std::map<std::string, int, std::less<>> lines;
    std::string problems;
    const auto problem = [&problems](int line, std::string_view key, std::string_view what) {
        problems += "line " + std::to_string(line) + ": " + std::string(key) + ": " +
                    std::string(what) + "\n";
    };
    int line_number = 0;
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++line_number;
        if (line.empty() || line.front() == '#' || line.front() == ';' || line.front() == '[')
            continue;
        const std::size_t equals = line.find('=');
        if (equals == std::string_view::npos) {
            problem(line_number, line, "expected key = value");
            continue;
        }
        const std::string key(trim(line.substr(0, equals)));
        const std::string_view value = trim(line.substr(equals + 1));
        const SettingSpec* spec = find_setting_spec(descriptor.settings, key);
        if (spec == nullptr) {
            problem(line_number, key, "unknown setting");
        } else if (lines.contains(key)) {
            problem(line_number, key, "set twice");
        } else if (const std::string bad = setting_value_problem(*spec, value, value);
                   !bad.empty()) {
            problem(line_number, key, bad);
        } else {
            values[key] = std::string(value);
            lines[key] = line_number;
        }
    }
    for (const SettingSpec& spec : descriptor.settings) {
        if (values.contains(spec.key) || spec.key.ends_with(".*")) continue;
        if (spec.required) {
            problem(0, spec.key, "required setting is missing");
        } else if (!spec.default_value.empty()) {
            values[spec.key] = spec.default_value;
        }
    }
    Settings settings(std::move(values));
    if (problems.empty() && descriptor.check_settings != nullptr) {
        for (const SettingProblem& found : descriptor.check_settings(settings)) {
            const auto at = lines.find(found.key);
            problem(at == lines.end() ? 0 : at->second, found.key, found.problem);
        }
    }
    if (!problems.empty()) {
        problems.pop_back();
        throw std::invalid_argument(descriptor.name + " settings:\n" + problems);
    }
    return settings;
}

// The plugin's rule, created from config text as the daemon creates it (settings_from(),
// then the descriptor's create_rule). Throws std::invalid_argument when the plugin offers no
// rule or the settings are refused, and whatever create_rule throws.
inline std::unique_ptr<Rule> create_rule(const PluginDescriptor& descriptor,
                                         std::string_view settings_text = {}) {
    if ((descriptor.kinds & kRulePlugin) == 0 || descriptor.create_rule == nullptr)
        throw std::invalid_argument(descriptor.name + " is not a rule plugin");
    return descriptor.create_rule(settings_from(descriptor, settings_text));
}

}  // namespace tradestore::testing
