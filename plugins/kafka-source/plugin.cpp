// The kafka-source plugin descriptor.
#include <tradestore/plugin.h>

#include "kafka_config.h"
#include "kafka_source.h"

namespace tradestore::kafka {
namespace {

std::unique_ptr<Source> create(const Settings& settings) {
    return std::make_unique<KafkaSource>(config_from_settings(settings));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "kafka-source";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Consumes JSON trades from Kafka (librdkafka) with an exactly-once effect; bad messages "
        "go to a dead-letter topic";
    descriptor.kinds = kSourcePlugin;
    descriptor.settings = setting_specs();
    descriptor.create_source = &create;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::kafka

TRADESTORE_PLUGIN(tradestore::kafka::describe)
