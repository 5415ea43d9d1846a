// The default trade rules: version ordering and maturity.
#pragma once

#include <tradestore/rule.h>

namespace tradestore::plugins {

class TradeRules final : public Rule {
  public:
    TradeRules(bool check_version, bool check_maturity)
        : check_version_(check_version), check_maturity_(check_maturity) {}

    void check(const RuleInput& input, std::vector<Rejection>& rejections) const override;

  private:
    bool check_version_;
    bool check_maturity_;
};

}  // namespace tradestore::plugins
