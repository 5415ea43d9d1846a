// tradestorectl-kafka: the Kafka commands of tradestorectl (`tradestorectl dlq replay`,
// `tradestorectl replay`), a program of its own so that only the tradestore-kafka package
// brings librdkafka; tradestorectl runs it (kafka_dispatch.h).
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/rfc3339.h"
#include "kafka_replay.h"

namespace tradestore::ctl {
namespace {

const char* const kUsage =
    "usage: tradestorectl dlq replay --brokers B --dlq-topic T [--to-topic T] [--since TIME]\n"
    "                                [--reason R] [--kafka-properties P] [--dry-run]\n"
    "         send dead letters back to the topic each came from (its own partition), or to\n"
    "         --to-topic; only those stamped at or after TIME, or with tradestore.dlq.reason R\n"
    "       tradestorectl replay --brokers B --topic T --from TIME [--to-topic T]\n"
    "                                [--kafka-properties P] [--dry-run]\n"
    "         send T's messages stamped at or after TIME again, to the end of T (or --to-topic),\n"
    "         so that tradestored decides them again; tombstones are not sent again\n"
    "TIME is RFC 3339 (2026-12-01T00:00:00Z); P is as the kafka-source's kafka_properties\n"
    "(security.protocol=SASL_SSL, sasl.mechanism=SCRAM-SHA-512, ...). Prints one JSON line per\n"
    "message sent (with --dry-run: that would be sent), then a summary line.\n";

std::int64_t epoch_ms(const std::string& option, const std::string& text) {
    const std::optional<Timestamp> instant = rest::parse_rfc3339(text);
    if (!instant) {
        throw std::invalid_argument(option + ": '" + text +
                                    "' is not an RFC 3339 time (2026-12-01T00:00:00Z)");
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(instant->time_since_epoch())
        .count();
}

ReplayRequest parse(const std::vector<std::string>& args) {
    ReplayRequest request;
    std::size_t first = 0;
    if (args.size() >= 2 && args[0] == "dlq" && args[1] == "replay") {
        request.mode = ReplayMode::DeadLetters;
        first = 2;
    } else if (!args.empty() && args[0] == "replay") {
        request.mode = ReplayMode::Topic;
        first = 1;
    } else {
        throw std::invalid_argument("expected 'dlq replay' or 'replay'");
    }
    for (std::size_t i = first; i < args.size(); ++i) {
        const std::string& arg = args[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= args.size()) throw std::invalid_argument(arg + " needs a value");
            return args[++i];
        };
        const bool dlq = request.mode == ReplayMode::DeadLetters;
        if (arg == "--brokers") {
            request.brokers = value();
        } else if (arg == (dlq ? "--dlq-topic" : "--topic")) {
            request.from_topic = value();
        } else if (arg == "--to-topic") {
            request.to_topic = value();
        } else if (arg == (dlq ? "--since" : "--from")) {
            request.since_ms = epoch_ms(arg, value());
        } else if (dlq && arg == "--reason") {
            request.reason = value();
        } else if (arg == "--kafka-properties") {
            request.kafka_properties = value();
        } else if (arg == "--dry-run") {
            request.dry_run = true;
        } else {
            throw std::invalid_argument("unknown option " + arg);
        }
    }
    const bool dlq = request.mode == ReplayMode::DeadLetters;
    if (request.brokers.empty()) throw std::invalid_argument("--brokers is required");
    if (request.from_topic.empty()) {
        throw std::invalid_argument(dlq ? "--dlq-topic is required" : "--topic is required");
    }
    // Reading a whole topic again is never what "from a time" meant by default.
    if (!dlq && !request.since_ms) throw std::invalid_argument("--from is required");
    return request;
}

int run(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (const std::string& arg : args) {
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        }
    }
    ReplayRequest request;
    try {
        request = parse(args);
    } catch (const std::invalid_argument& error) {
        std::cerr << "tradestorectl: " << error.what() << " (--help: usage)\n";
        return 2;
    }
    const ReplaySummary summary = replay(request, std::cout);
    std::cout << "{\"read\":" << summary.read << ",\"sent\":" << summary.sent
              << ",\"dry_run\":" << (request.dry_run ? "true" : "false")
              << ",\"skipped_tombstones\":" << summary.skipped_tombstones
              << ",\"skipped_not_dead_letters\":" << summary.skipped_not_letters
              << ",\"skipped_other_reason\":" << summary.skipped_reason << "}\n";
    return 0;
}

}  // namespace
}  // namespace tradestore::ctl

int main(int argc, char** argv) {
    try {
        return tradestore::ctl::run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "tradestorectl: " << e.what() << "\n";
    }
    return 1;
}
