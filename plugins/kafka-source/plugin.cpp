// The kafka-source plugin descriptor.
#include <tradestore/plugin.h>

#include "changes/change_feed_job.h"
#include "kafka_checks.h"
#include "kafka_config.h"
#include "kafka_source.h"

namespace tradestore::kafka {
namespace {

std::unique_ptr<Source> create(const Settings& settings) {
    return std::make_unique<KafkaSource>(config_from_settings(settings));
}

// The change feed, when changes_topic is set: a job on the kernel's scheduler.
std::unique_ptr<Job> create_change_feed(const Settings& settings) {
    KafkaConfig config = config_from_settings(settings);
    if (config.changes_topic.empty()) return nullptr;
    return std::make_unique<ChangeFeedJob>(std::move(config));
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "kafka-source";
    descriptor.version = "1.0.0";
    descriptor.description =
        "Consumes JSON trades from Kafka (librdkafka) with an exactly-once effect; bad messages "
        "go to a dead-letter topic; publishes the store's change feed to changes_topic";
    descriptor.kinds = kSourcePlugin | kJobPlugin;
    descriptor.settings = setting_specs();
    descriptor.check_settings = &check_kafka_settings;
    descriptor.create_source = &create;
    descriptor.create_job = &create_change_feed;
    return descriptor;
}

}  // namespace
}  // namespace tradestore::kafka

TRADESTORE_PLUGIN(tradestore::kafka::describe)
