// tradestorectl's Kafka commands (`dlq replay`, `replay`) live in tradestorectl-kafka, shipped
// with the tradestore-kafka package, so that the daemon's package does not need librdkafka.
#pragma once

namespace tradestore::ctl {

// When argv names a Kafka command, replaces this process with tradestorectl-kafka (next to
// this program, else in the installed libexec folder) and does not return; when it is not
// installed, exits 1 with one line saying which package brings it. Returns otherwise.
void run_kafka_command_if_any(int argc, char** argv);

}  // namespace tradestore::ctl
