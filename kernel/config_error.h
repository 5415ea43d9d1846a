// A configuration problem, reported as one line naming the file, the line, the key and the
// problem, e.g. "etc/tradestore.ini:12: [plugin.rest-source] port: expected an int, got 'x'".
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace tradestore::kernel {

struct ConfigProblem {
    std::string file;
    int line = 0;  // 0 when the problem is not tied to a line (a missing key)
    std::string section;
    std::string key;
    std::string problem;

    // One line: control characters in any part are written escaped (\n, \x1b).
    std::string to_string() const;
};

// Carries every problem found, so an operator fixes them all in one pass.
class ConfigError : public std::runtime_error {
  public:
    explicit ConfigError(std::vector<ConfigProblem> problems);
    const std::vector<ConfigProblem>& problems() const { return problems_; }

  private:
    std::vector<ConfigProblem> problems_;
};

}  // namespace tradestore::kernel
