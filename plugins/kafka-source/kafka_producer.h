// The producer behind the dead-letter and results topics.
//
// Dead letters are produced and waited for (every delivery reported) before the batch they
// belong to goes to the store: a failed delivery fails the batch, which is retried. Results
// are produced without waiting; a lost result is logged (the store's audit holds every
// decision regardless). All calls come from the consumer's poll thread.
#pragma once

#include <librdkafka/rdkafka.h>
#include <tradestore/metrics.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kafka_config.h"
#include "message_batch.h"

namespace tradestore::kafka {

using KafkaLogger = std::function<void(LogLevel, const std::string&)>;

class Producer {
  public:
    // Validates the configuration; throws std::invalid_argument naming a bad property.
    Producer(const KafkaConfig& config, KafkaLogger logger);
    ~Producer();
    Producer(const Producer&) = delete;
    Producer& operator=(const Producer&) = delete;

    // Produces every message and waits until each is acknowledged or failed. Returns an
    // empty string on success, else the first failure.
    std::string produce_and_wait(const std::vector<OutgoingMessage>& messages,
                                 std::chrono::milliseconds timeout);
    // Produces without waiting for the acknowledgement.
    void produce_async(const OutgoingMessage& message);
    // Serves delivery reports of earlier messages.
    void poll();
    // Waits for every outstanding message; returns how many are left.
    int flush(std::chrono::milliseconds timeout);

    // Counts each message of produce_async that was refused or not delivered (at start,
    // before any is produced).
    void count_failed_async(Counter& counter) { failed_async_ = &counter; }

  private:
    struct Tracker;
    void ensure_client();
    bool enqueue(const OutgoingMessage& message, Tracker* tracker, std::string& error);
    static void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
    static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text);

    PropertyList properties_;
    KafkaLogger logger_;
    rd_kafka_t* rk_ = nullptr;
    Counter* failed_async_ = nullptr;
};

}  // namespace tradestore::kafka
