#include "trade_rules.h"

namespace tradestore::plugins {

void TradeRules::check(const RuleInput& input, std::vector<Rejection>& rejections) const {
    if (input.deleting) return;  // the rules are about versions that arrive
    const Trade& trade = input.incoming;
    // A lower version is rejected; the same version replaces; a higher one updates.
    if (check_version_ && input.stored != nullptr && trade.version < input.stored->version) {
        rejections.push_back(
            {std::string(reason::kLowerVersion),
             "Trade " + trade.trade_id + ": Received version " + std::to_string(trade.version) +
                 " is lower than current version " + std::to_string(input.stored->version)});
    }
    // Maturity on the business date itself is still accepted.
    if (check_maturity_ && trade.maturity_date < input.business_date) {
        rejections.push_back(
            {std::string(reason::kMaturityInPast),
             "Trade " + trade.trade_id + ": Maturity date " + format_date(trade.maturity_date) +
                 " is before the business date " + format_date(input.business_date)});
    }
}

}  // namespace tradestore::plugins
