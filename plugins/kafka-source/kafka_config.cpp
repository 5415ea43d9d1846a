#include "kafka_config.h"

#include <array>
#include <stdexcept>

namespace tradestore::kafka {

namespace {

// Properties the plugin sets from its own settings or needs for its guarantees.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kOwnedProperties = {{
    {"bootstrap.servers", "use the 'brokers' setting"},
    {"group.id", "use the 'group_id' setting"},
    {"enable.auto.offset.store", "kafka-source stores offsets only after the store commits"},
    {"enable.partition.eof", "kafka-source does not use partition EOF events"},
}};

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

// librdkafka properties that carry credentials. The kernel matches exact keys before the
// `kafka.*` wildcard, so these (in every client scope) are masked in logs and listings while
// the other pass-through values (protocol names, user names, `true`) stay readable.
constexpr std::array<std::string_view, 6> kCredentialProperties = {
    "sasl.password",
    "ssl.key.password",
    "ssl.keystore.password",
    "ssl.key.pem",
    "sasl.oauthbearer.client.secret",
    "sasl.oauthbearer.config",
};

std::vector<SettingSpec> setting_specs() {
    std::vector<SettingSpec> specs = {
        {"brokers", SettingType::String, "", true,
         "Bootstrap brokers, host:port[,host:port...]; required, so that a forgotten setting "
         "never consumes from whatever listens on localhost"},
        {"topics", SettingType::List, "trades", false,
         "Topics to consume (JSON trades keyed by id)"},
        {"group_id", SettingType::String, "trade-consumer-group", false, "Consumer group id"},
        {"batch_size", SettingType::Int, "2000", false,
         "Most messages handed to the store in one batch (one transaction)", 1, 100'000},
        {"batch_wait", SettingType::Duration, "50ms", false,
         "How long a batch waits to fill up once its first message arrived", 0, 60'000},
        {"max_buffered_mb", SettingType::Int, "32", false,
         "Most messages (in MiB) polled and not yet committed, all partitions together; past "
         "it, consumption pauses until an eighth of it is committed",
         1, 65'536},
        {"dead_letter_topic", SettingType::String, "trades.dlq", false,
         "Topic receiving messages that are not JSON or not a valid trade, and trades the "
         "store refused"},
        {"results_topic", SettingType::String, "", false,
         "Topic receiving one record per decision (unset: none are published)"},
        {"deletes", SettingType::Bool, "false", false,
         "A message with a key and no value (a Kafka tombstone) deletes the trade named by the "
         "key, through the rules, audit and history like any version; when false it is "
         "dead-lettered"},
        {"changes_topic", SettingType::String, "", false,
         "Topic receiving every accepted version (the trade history: creates, updates, "
         "replaces, expiries, deletes) from the store's change outbox, keyed by trade id, at "
         "least once and in commit order per trade, each with its history_id for dropping "
         "duplicates; needs change_feed = true in the store's section (unset: no change feed)"},
        {"changes_interval", SettingType::Duration, "200ms", false,
         "How often the change feed publishes what the store has queued since", 10, 3'600'000},
        {"retry_backoff_max", SettingType::Duration, "5s", false,
         "Longest wait between retries of a batch while the store or dead-letter topic fails", 10,
         3'600'000},
        {"shutdown_timeout", SettingType::Duration, "15s", false,
         "How long a stop keeps retrying the in-flight batch before leaving it to redelivery", 0,
         3'600'000},
        {"stall_timeout", SettingType::Duration, "60s", false,
         "How long messages may wait with nothing committed before the source reports itself "
         "stalled (unhealthy in /health, tradestore_kafka_stalled = 1, a KAFKA_STALLED event)",
         1'000, 86'400'000},
        {"kafka.*", SettingType::String, "", false,
         "Any librdkafka property, passed through as is: kafka.<name> = value, e.g. "
         "kafka.security.protocol = SASL_SSL, kafka.sasl.password = ${KAFKA_PASSWORD}; "
         "kafka.consumer.<name> or kafka.producer.<name> sets it for one client only"},
        {"kafka_properties", SettingType::Secret, "", false,
         "librdkafka properties, comma-separated name=value (a name prefixed consumer. or "
         "producer. applies to that client only), e.g. security.protocol=SASL_SSL, "
         "sasl.mechanism=SCRAM-SHA-512, sasl.password=${KAFKA_PASSWORD}"},
    };
    for (const std::string_view scope : {"kafka.", "kafka.consumer.", "kafka.producer."}) {
        for (const std::string_view property : kCredentialProperties) {
            specs.push_back({std::string(scope) + std::string(property), SettingType::Secret, "",
                             false, "librdkafka credential, masked in logs"});
        }
    }
    return specs;
}

// One operator property; `consumer.`/`producer.` scope it to one client, and the properties
// the source owns are refused. `origin` names the setting in error messages.
KafkaProperty make_property(std::string_view name, std::string_view value,
                            std::string_view origin) {
    KafkaProperty property;
    if (name.starts_with("consumer.")) {
        property.scope = KafkaProperty::Scope::Consumer;
        name.remove_prefix(9);
    } else if (name.starts_with("producer.")) {
        property.scope = KafkaProperty::Scope::Producer;
        name.remove_prefix(9);
    }
    if (name.empty()) {
        throw std::invalid_argument("kafka_properties: '" + std::string(origin) +
                                    "' has no property name");
    }
    for (const auto& [owned, why] : kOwnedProperties) {
        if (name == owned) {
            throw std::invalid_argument("kafka_properties: " + std::string(name) +
                                        " cannot be set here (" + std::string(why) + ")");
        }
    }
    property.name = std::string(name);
    property.value = std::string(value);
    return property;
}

std::vector<KafkaProperty> parse_properties(std::string_view text) {
    std::vector<KafkaProperty> properties;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        const std::string_view raw = text.substr(start, comma - start);
        start = comma + 1;
        const std::string_view item = trim(raw);
        const std::size_t equals = item.find('=');
        if (equals == std::string_view::npos) {
            if (item.empty()) continue;
            if (properties.empty()) {
                throw std::invalid_argument("kafka_properties: '" + std::string(item) +
                                            "' is not name=value");
            }
            properties.back().value += ',';
            properties.back().value += item;
            continue;
        }
        properties.push_back(
            make_property(trim(item.substr(0, equals)), trim(item.substr(equals + 1)), item));
    }
    return properties;
}

KafkaConfig config_from_settings(const Settings& settings) {
    KafkaConfig config;
    if (settings.has("brokers")) config.brokers = settings.get_string("brokers");
    if (settings.has("topics")) config.topics = settings.get_list("topics");
    if (settings.has("group_id")) config.group_id = settings.get_string("group_id");
    if (settings.has("batch_size")) {
        config.batch_size = static_cast<std::size_t>(settings.get_int("batch_size"));
    }
    if (settings.has("batch_wait")) config.batch_wait = settings.get_duration("batch_wait");
    if (settings.has("max_buffered_mb")) {
        config.max_buffered_bytes = static_cast<std::size_t>(settings.get_int("max_buffered_mb"))
                                    << 20;
    }
    if (settings.has("dead_letter_topic")) {
        config.dead_letter_topic = settings.get_string("dead_letter_topic");
    }
    if (settings.has("results_topic")) config.results_topic = settings.get_string("results_topic");
    if (settings.has("deletes")) config.deletes = settings.get_bool("deletes");
    if (settings.has("changes_topic")) config.changes_topic = settings.get_string("changes_topic");
    if (settings.has("changes_interval")) {
        config.changes_interval = settings.get_duration("changes_interval");
    }
    if (settings.has("retry_backoff_max")) {
        config.retry_backoff_max = settings.get_duration("retry_backoff_max");
    }
    if (settings.has("shutdown_timeout")) {
        config.shutdown_timeout = settings.get_duration("shutdown_timeout");
    }
    if (settings.has("stall_timeout"))
        config.stall_timeout = settings.get_duration("stall_timeout");
    if (settings.has("kafka_properties")) {
        config.properties = parse_properties(settings.get_string("kafka_properties"));
    }
    // Any `kafka.<name>` key of the section goes to librdkafka as <name> (the schema declares
    // the wildcard `kafka.*`), e.g. kafka.security.protocol = SASL_SSL.
    for (const auto& [key, value] : settings.values()) {
        if (key.size() > 6 && key.starts_with("kafka.")) {
            config.properties.push_back(make_property(std::string_view(key).substr(6), value, key));
        }
    }

    if (config.brokers.empty()) throw std::invalid_argument("brokers: must not be empty");
    if (config.topics.empty() && config.changes_topic.empty()) {
        throw std::invalid_argument(
            "topics: must name at least one topic (or set changes_topic alone, for a "
            "kafka-source that only publishes the change feed)");
    }
    if (config.group_id.empty()) throw std::invalid_argument("group_id: must not be empty");
    if (config.dead_letter_topic.empty()) {
        throw std::invalid_argument(
            "dead_letter_topic: must not be empty (a bad message must go somewhere)");
    }
    if (config.stall_timeout <= config.batch_wait) {
        // A batch that is only filling up would count as stalled.
        throw std::invalid_argument("stall_timeout: must be longer than batch_wait");
    }
    for (const std::string& topic : config.topics) {
        if (topic == config.dead_letter_topic || topic == config.results_topic ||
            topic == config.changes_topic) {
            throw std::invalid_argument("topics: '" + topic +
                                        "' is also the dead-letter, results or changes topic");
        }
    }
    if (!config.changes_topic.empty() && (config.changes_topic == config.dead_letter_topic ||
                                          config.changes_topic == config.results_topic)) {
        throw std::invalid_argument("changes_topic: '" + config.changes_topic +
                                    "' is also the dead-letter or results topic");
    }
    return config;
}

namespace {

PropertyList with_operator_properties(PropertyList list, const KafkaConfig& config,
                                      KafkaProperty::Scope scope) {
    for (const KafkaProperty& property : config.properties) {
        if (property.scope == KafkaProperty::Scope::Both || property.scope == scope) {
            list.emplace_back(property.name, property.value);
        }
    }
    return list;
}

}  // namespace

PropertyList consumer_properties(const KafkaConfig& config) {
    PropertyList list = {
        {"client.id", "tradestored"},
        {"auto.offset.reset", "earliest"},
        {"statistics.interval.ms", "5000"},
    };
    list = with_operator_properties(std::move(list), config, KafkaProperty::Scope::Consumer);
    list.emplace_back("bootstrap.servers", config.brokers);
    list.emplace_back("group.id", config.group_id);
    list.emplace_back("enable.auto.offset.store", "false");
    list.emplace_back("enable.partition.eof", "false");
    return list;
}

PropertyList producer_properties(const KafkaConfig& config) {
    PropertyList list = {
        {"client.id", "tradestored"},
        {"enable.idempotence", "true"},
        {"linger.ms", "5"},
        {"message.timeout.ms", "30000"},
    };
    list = with_operator_properties(std::move(list), config, KafkaProperty::Scope::Producer);
    list.emplace_back("bootstrap.servers", config.brokers);
    return list;
}

}  // namespace tradestore::kafka
