// The rule contract (tradestore/contract/rule_contract.h) run on this plugin: what every rule
// plugin must do, checked on book-allowlist with a working configuration.
#include <tradestore/contract/rule_contract.h>

TRADESTORE_RULE_CONTRACT(BookAllowlist, "books = B1, B2")
