#include "kafka_checks.h"

#include <tradestore/path_checks.h>

#include <array>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kafka_config.h"
#include "rdkafka_handles.h"

namespace tradestore::kafka {
namespace {

// librdkafka properties naming a file the client reads when it starts.
constexpr std::array<std::string_view, 6> kFileProperties = {
    "ssl.ca.location",       "ssl.certificate.location", "ssl.key.location",
    "ssl.keystore.location", "ssl.crl.location",         "sasl.kerberos.keytab",
};

// config_from_settings says "key: problem"; the key is the setting to blame.
SettingProblem problem_from(std::string_view message) {
    const std::size_t colon = message.find(": ");
    if (colon == std::string_view::npos) return {"", std::string(message)};
    return {std::string(message.substr(0, colon)), std::string(message.substr(colon + 2))};
}

// The setting a property came from: its own kafka.<name> key, else kafka_properties.
std::string origin_of(const KafkaProperty& property, const Settings& settings) {
    std::string scope;
    if (property.scope == KafkaProperty::Scope::Consumer) scope = "consumer.";
    if (property.scope == KafkaProperty::Scope::Producer) scope = "producer.";
    const std::string key = "kafka." + scope + property.name;
    return settings.has(key) ? key : "kafka_properties";
}

}  // namespace

std::vector<SettingProblem> check_kafka_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    KafkaConfig config;
    try {
        config = config_from_settings(settings);
    } catch (const std::invalid_argument& error) {
        problems.push_back(problem_from(error.what()));
        return problems;
    }
    for (const KafkaProperty& property : config.properties) {
        const std::string origin = origin_of(property, settings);
        try {
            make_conf({{property.name, property.value}}, "client");
        } catch (const std::invalid_argument& error) {
            // "kafka_properties: client property <name>: <detail>"
            const std::string message = error.what();
            const std::string prefix = "client property " + property.name + ": ";
            const std::size_t at = message.find(prefix);
            std::string detail =
                at == std::string::npos ? message : message.substr(at + prefix.size());
            // Within kafka_properties, the key alone does not say which item.
            if (origin == "kafka_properties") detail = property.name + ": " + detail;
            problems.push_back({origin, std::move(detail)});
            continue;
        }
        bool names_file = false;
        for (std::string_view file_property : kFileProperties)
            names_file = names_file || property.name == file_property;
        // ssl.ca.location may also be a folder of certificates or "probe" (the system's).
        if (!names_file || property.value == "probe" ||
            (property.name == "ssl.ca.location" && std::filesystem::is_directory(property.value)))
            continue;
        if (std::string problem = file_read_problem(property.value); !problem.empty())
            problems.push_back({origin, property.name + ": " + problem});
    }
    return problems;
}

}  // namespace tradestore::kafka
