// tradestorectl's command line: global options (where the server is, how to authenticate,
// how to print) and each command's own, parsed once; any mistake is a UsageError (exit 2).
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tradestore::ctl {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Options {
    std::string url = "http://127.0.0.1:8080";
    std::string token;  // never printed
    std::string cacert;
    bool json = false;
    bool help = false;
    bool version = false;
    std::string format;
    std::string book;
    std::string as_of;
    std::size_t batch_size = 500;
    std::vector<std::string> positional;  // the command and its arguments
};

// Reads an environment variable (nullptr when unset); getenv in the program, a map in tests.
using Environment = std::function<const char*(const char*)>;

// The token comes from, first to last: --token, --token-file, $TRADESTORE_TOKEN,
// $TRADESTORE_TOKEN_FILE, $TRADESTORE_METRICS_TOKEN (its older name). The URL from --url, then
// $TRADESTORE_URL. Giving both --token and --token-file is a UsageError, as is an unreadable or
// empty token file, or a token holding a control character.
Options parse_options(const std::vector<std::string>& args, const Environment& environment);

// The first line of a token file, without surrounding blanks.
std::string read_token_file(const std::string& path);

}  // namespace tradestore::ctl
