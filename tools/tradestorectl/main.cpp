// tradestorectl: the operator's view of a running tradestored over its HTTP API. The commands
// are in the table below (one line adds one; then a line in kUsage and its name in
// completion.bash, which e2e.test_cli compares with --help); docs/tradestorectl.md describes
// them.
#include <Poco/Exception.h>

#include <array>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "commands.h"
#include "kafka_dispatch.h"

namespace tradestore::ctl {
namespace {

struct Command {
    std::string_view name;
    std::size_t arguments;  // after the name
    int (*run)(Client&, const Options&);
};

constexpr std::array kCommands = {
    Command{"health", 0, health_command},     Command{"stats", 0, stats_command},
    Command{"metrics", 0, metrics_command},   Command{"expire", 0, expire_command},
    Command{"import", 1, import_command},     Command{"history", 1, history_command},
    Command{"snapshot", 0, snapshot_command},
};

const char* const kUsage =
    "usage: tradestorectl [OPTIONS] COMMAND [ARGUMENTS]\n"
    "\n"
    "Commands:\n"
    "  health                      health, readiness and liveness (exit 3 when not ready)\n"
    "  stats                       trade counts\n"
    "  metrics                     summary of GET /metrics (requests, latencies, trades)\n"
    "  expire                      run the expiry now (a token of role admin)\n"
    "  import FILE                 send trades (JSON lines or CSV; - reads standard input)\n"
    "                              through POST /api/v1/trades/batch (role writer)\n"
    "  history ID                  every version of a trade, oldest first, as JSON lines\n"
    "  snapshot --as-of T          every trade (or a book's) as recorded at T (RFC 3339, or a\n"
    "                              business date: its close), streamed page by page\n"
    "  dlq replay --brokers B --dlq-topic T   send dead letters back after a fix (Kafka;\n"
    "                              tradestore-kafka; see tradestorectl dlq replay --help)\n"
    "  replay --brokers B --topic T --from TIME   have a topic's messages since TIME\n"
    "                              decided again (Kafka; tradestore-kafka)\n"
    "\n"
    "Options:\n"
    "  --url URL                   http://HOST:PORT or https://HOST:PORT (default\n"
    "                              $TRADESTORE_URL, else http://127.0.0.1:8080)\n"
    "  --token-file FILE           read the bearer token from FILE's first line\n"
    "  --token TOKEN               the bearer token (visible to other local users in ps:\n"
    "                              prefer --token-file or $TRADESTORE_TOKEN)\n"
    "  --cacert FILE               trust the CA in FILE (PEM) for an https:// URL; the\n"
    "                              system's CAs otherwise; the certificate is always checked\n"
    "  --json                      print one JSON document on standard output\n"
    "  --format jsonl|csv          import: the input's format (default from FILE's name);\n"
    "                              snapshot: the output's (default jsonl)\n"
    "  --batch-size N              import: trades per request (default 500)\n"
    "  --book B                    snapshot: one book only\n"
    "  --as-of T                   snapshot: the instant or business date\n"
    "  --help, --version\n"
    "\n"
    "The token is sent on every request; the first of --token, --token-file,\n"
    "$TRADESTORE_TOKEN, $TRADESTORE_TOKEN_FILE, $TRADESTORE_METRICS_TOKEN is used.\n"
    "Exit status: 0 done; 1 error (unreachable, TLS refused, error answer); 2 usage;\n"
    "3 not everything imported, or not ready; 4 refused (401/403: token or role).\n";

int run(int argc, char** argv) {
    const Options options = parse_options(std::vector<std::string>(argv + 1, argv + argc),
                                          [](const char* name) { return std::getenv(name); });
    if (options.help) {
        std::cout << kUsage;
        return kExitOk;
    }
    if (options.version) {
        std::cout << "tradestorectl " TRADESTORE_VERSION "\n";
        return kExitOk;
    }
    if (options.positional.empty()) throw UsageError("no command given");
    const std::string& name = options.positional[0];
    for (const Command& command : kCommands) {
        if (command.name != name) continue;
        if (options.positional.size() != command.arguments + 1) {
            throw UsageError(name + " takes " + std::to_string(command.arguments) +
                             " argument(s); see tradestorectl --help");
        }
        Client client({options.url, options.token, options.cacert});
        return command.run(client, options);
    }
    throw UsageError("unknown command '" + name + "'");
}

}  // namespace
}  // namespace tradestore::ctl

int main(int argc, char** argv) {
    using namespace tradestore::ctl;
    run_kafka_command_if_any(argc, argv);
    try {
        return run(argc, argv);
    } catch (const UsageError& e) {
        std::cerr << "tradestorectl: " << e.what() << " (tradestorectl --help lists the usage)\n";
        return kExitUsage;
    } catch (const AccessRefused& e) {
        std::cerr << "tradestorectl: refused: " << e.what() << "\n";
        return kExitRefused;
    } catch (const Poco::Exception& e) {
        std::cerr << "tradestorectl: " << e.displayText() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "tradestorectl: " << e.what() << "\n";
    }
    return kExitError;
}
