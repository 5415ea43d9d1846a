// The kafka-source's own config checks, run by --check-config, at start and on reload without
// contacting a broker: what config_from_settings refuses, every librdkafka property set on a
// client configuration as the consumer and producer will set it (unknown names, values not
// among a property's choices), and the files those properties name.
#pragma once

#include <tradestore/settings.h>

#include <vector>

namespace tradestore::kafka {

std::vector<SettingProblem> check_kafka_settings(const Settings& settings);

}  // namespace tradestore::kafka
