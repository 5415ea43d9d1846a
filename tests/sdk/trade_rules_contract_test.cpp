// The rule contract (sdk/contract, tradestore/contract/rule_contract.h) run on the default rule
// plugin, trade-rules, as every rule plugin runs it on itself; plugins/trade-rules/plugin.cpp
// is compiled into this test, so the descriptor is the plugin's own.
#include <tradestore/contract/rule_contract.h>

TRADESTORE_RULE_CONTRACT(TradeRules, "check_version = true\ncheck_maturity = true")
