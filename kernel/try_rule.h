// tradestored --try-rule: a rule plugin's decisions on a file of trades, without a daemon. The
// plugin is loaded with the kernel's loader (ABI checks apply), its settings are validated as
// the config check validates them, each line is decoded by the kernel's codec (a line the REST
// API would refuse is reported with the REST answer) and applied in order against an in-memory
// stored state through the SDK's decision loop, the one every store runs.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace tradestore::kernel {

// `args` are the arguments after --try-rule. Returns the exit code: 0 when every line was a
// well-formed trade, 1 when some line was not (every line is still reported), 2 when nothing
// could be tried (usage, an unreadable file, a plugin that does not load, refused settings).
int try_rule_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace tradestore::kernel
