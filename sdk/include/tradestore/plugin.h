// The plugin descriptor. Every plugin shared object exports exactly two things:
//  - an ABI block in the ELF section ".tradestore_abi", which the kernel reads from the
//    file and checks before it loads the library (so a foreign or mismatched library never
//    runs a line of code in the daemon), and
//  - one function returning the descriptor: name, kinds, version, settings schema and the
//    typed factories.
// Use TRADESTORE_PLUGIN(describe) once in a plugin, where describe() returns the descriptor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tradestore/export.h"
#include "tradestore/job.h"
#include "tradestore/rule.h"
#include "tradestore/settings.h"
#include "tradestore/source.h"
#include "tradestore/store.h"

namespace tradestore {

// Bump whenever an SDK type or interface changes layout or meaning. The test
// sdk_abi_fingerprint fails when the SDK headers change and this number does not.
inline constexpr std::uint32_t kSdkAbiVersion = 8;

// Fixed layout, read from the file's bytes: only fixed-width fields.
struct AbiBlock {
    char magic[16];  // "TRADESTORE-ABI\0\0"
    std::uint32_t sdk_abi_version;
    std::uint32_t cxx_standard;         // __cplusplus / 100, e.g. 2020
    std::uint32_t libstdcxx_cxx11_abi;  // _GLIBCXX_USE_CXX11_ABI, 2 when not libstdc++
    std::uint32_t pointer_size;
    std::uint32_t sizeof_string;
    std::uint32_t sizeof_trade;
    std::uint32_t sizeof_candidate;
    std::uint32_t sizeof_item_result;
};

#if defined(_GLIBCXX_USE_CXX11_ABI)
#define TRADESTORE_CXX11_ABI_VALUE _GLIBCXX_USE_CXX11_ABI
#else
#define TRADESTORE_CXX11_ABI_VALUE 2
#endif

inline constexpr AbiBlock make_abi_block() {
    return AbiBlock{{'T', 'R', 'A', 'D', 'E', 'S', 'T', 'O', 'R', 'E', '-', 'A', 'B', 'I', 0, 0},
                    kSdkAbiVersion,
                    static_cast<std::uint32_t>(__cplusplus / 100),
                    TRADESTORE_CXX11_ABI_VALUE,
                    static_cast<std::uint32_t>(sizeof(void*)),
                    static_cast<std::uint32_t>(sizeof(std::string)),
                    static_cast<std::uint32_t>(sizeof(Trade)),
                    static_cast<std::uint32_t>(sizeof(Candidate)),
                    static_cast<std::uint32_t>(sizeof(ItemResult))};
}

enum PluginKind : std::uint32_t {
    kRulePlugin = 1u << 0,
    kStorePlugin = 1u << 1,
    kSourcePlugin = 1u << 2,
    kJobPlugin = 1u << 3,
};

struct PluginDescriptor {
    std::string name;  // unique; the config section is [plugin.<name>]
    std::string version;
    std::string description;  // one line
    std::uint32_t kinds = 0;  // PluginKind bits
    std::vector<SettingSpec> settings;
    // Optional: checks validated settings as a whole; the kernel reports each problem as a
    // config error naming file, line and key (at start, with --check-config and on reload).
    std::vector<SettingProblem> (*check_settings)(const Settings&) = nullptr;
    // A store's capabilities (tradestore/store_capabilities.h) as describe() names them, each
    // with what it depends on, e.g. "change outbox (change_feed = true)": what --list-plugins
    // shows. What the opened store offers is what the kernel logs at start and uses.
    std::vector<std::string> store_capabilities;

    // Set exactly the factories whose kind bit is set. Each gets validated settings.
    // create_job may return nullptr when the settings enable no job (a source plugin that
    // also offers a job, for instance).
    std::unique_ptr<Rule> (*create_rule)(const Settings&) = nullptr;
    std::unique_ptr<Store> (*create_store)(const Settings&) = nullptr;
    std::unique_ptr<Source> (*create_source)(const Settings&) = nullptr;
    std::unique_ptr<Job> (*create_job)(const Settings&) = nullptr;
};

}  // namespace tradestore

#define TRADESTORE_ABI_SECTION ".tradestore_abi"
#define TRADESTORE_ABI_SYMBOL "tradestore_abi_block"
#define TRADESTORE_DESCRIPTOR_SYMBOL "tradestore_plugin_descriptor"

// Declares the plugin: the ABI block in its section and the descriptor function.
#define TRADESTORE_PLUGIN(describe_function)                                            \
    extern "C" TRADESTORE_EXPORT __attribute__((section(TRADESTORE_ABI_SECTION), used)) \
    const ::tradestore::AbiBlock tradestore_abi_block = ::tradestore::make_abi_block(); \
    extern "C" TRADESTORE_EXPORT const ::tradestore::PluginDescriptor*                  \
    tradestore_plugin_descriptor() {                                                    \
        static const ::tradestore::PluginDescriptor descriptor = describe_function();   \
        return &descriptor;                                                             \
    }
