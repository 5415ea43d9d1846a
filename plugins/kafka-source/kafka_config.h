// The kafka-source settings: their schema for the plugin descriptor and the typed values.
#pragma once

#include <tradestore/settings.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace tradestore::kafka {

// One librdkafka property from `kafka_properties`, and which clients it is for.
struct KafkaProperty {
    enum class Scope { Both, Consumer, Producer };
    Scope scope = Scope::Both;
    std::string name;  // without the "consumer." / "producer." prefix
    std::string value;

    bool operator==(const KafkaProperty&) const = default;
};

struct KafkaConfig {
    std::string brokers = "localhost:9092";
    std::vector<std::string> topics = {"trades"};
    std::string group_id = "trade-consumer-group";
    std::size_t batch_size = 2000;
    std::chrono::milliseconds batch_wait{50};
    // Messages polled and not yet committed, all partitions together (waiting or in flight).
    std::size_t max_buffered_bytes = 32u << 20;
    std::string dead_letter_topic = "trades.dlq";
    std::string results_topic;  // empty: no results are published
    bool deletes = false;       // a tombstone (key, no value) deletes the key's trade
    // The change feed (changes/change_feed_job.h): empty, none is published.
    std::string changes_topic;
    std::chrono::milliseconds changes_interval{200};
    std::chrono::milliseconds retry_backoff_max{5'000};
    std::chrono::milliseconds shutdown_timeout{15'000};
    // Messages waiting this long with nothing committed make the source unhealthy (stalled).
    std::chrono::milliseconds stall_timeout{60'000};
    std::vector<KafkaProperty> properties;
};

std::vector<SettingSpec> setting_specs();

// Reads validated settings; a key that is not set keeps its default. Throws
// std::invalid_argument with one line for a value the schema cannot check (an empty topic
// list, a `kafka_properties` item that is not name=value).
KafkaConfig config_from_settings(const Settings& settings);

// Parses `kafka_properties`: comma-separated `name=value` items. An item without '=' continues
// the previous value, so values that contain commas survive ("debug=broker,topic"). A name
// prefixed "consumer." or "producer." applies to that client only.
std::vector<KafkaProperty> parse_properties(std::string_view text);

// The property list for one client: what the plugin sets, then the operator's properties
// (which win), in order.
using PropertyList = std::vector<std::pair<std::string, std::string>>;
PropertyList consumer_properties(const KafkaConfig& config);
PropertyList producer_properties(const KafkaConfig& config);

}  // namespace tradestore::kafka
