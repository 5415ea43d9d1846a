// Numbers as an operator reads them: counts without a fraction ("341", not "341.000000"), other
// values with at most two decimals and no trailing zeros ("341.25", "0.5").
#pragma once

#include <string>

namespace tradestore::ctl {

std::string format_number(double value);

}  // namespace tradestore::ctl
