#include "plugin_schemas.h"

// Each plugin's TRADESTORE_PLUGIN function, renamed by fuzz/CMakeLists.txt.
extern "C" {
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_trade_rules();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_sqlite_store();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_rest_source();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_expiry_scheduler();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_kafka_source();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_postgres_store();
const tradestore::PluginDescriptor* tradestore_fuzz_descriptor_mongo_audit();
}

namespace tradestore::fuzz {

const PluginDescriptor* linked_plugin_descriptor(std::string_view name) {
    static const PluginDescriptor* const kLinked[] = {
        tradestore_fuzz_descriptor_trade_rules(),  tradestore_fuzz_descriptor_sqlite_store(),
        tradestore_fuzz_descriptor_rest_source(),  tradestore_fuzz_descriptor_expiry_scheduler(),
        tradestore_fuzz_descriptor_kafka_source(), tradestore_fuzz_descriptor_postgres_store(),
        tradestore_fuzz_descriptor_mongo_audit(),
    };
    for (const PluginDescriptor* descriptor : kLinked)
        if (descriptor->name == name) return descriptor;
    return nullptr;
}

}  // namespace tradestore::fuzz
