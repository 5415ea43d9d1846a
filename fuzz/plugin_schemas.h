// The descriptors (settings schemas) of the plugins compiled into the config fuzzer, looked
// up by plugin name as the daemon would find them in its plugin folder.
#pragma once

#include <tradestore/plugin.h>

#include <string_view>

namespace tradestore::fuzz {

// Null for a name no linked plugin has.
const PluginDescriptor* linked_plugin_descriptor(std::string_view name);

}  // namespace tradestore::fuzz
