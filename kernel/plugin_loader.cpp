#include "plugin_loader.h"

// Boost 1.74's library_info/shared_library need <vector> before them under BOOST_DLL_USE_STD_FS,
// and sorting the includes would put it after.
// clang-format off
#include <cstring>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>
// clang-format on

#include "elf_section_reader.h"

namespace tradestore::kernel {

namespace {

std::string describe_field(const char* field, std::uint32_t daemon, std::uint32_t plugin) {
    return std::string(field) + " differs: the daemon has " + std::to_string(daemon) +
           ", the plugin has " + std::to_string(plugin);
}

}  // namespace

std::string abi_mismatch(const std::vector<unsigned char>& block_bytes) {
    if (block_bytes.size() < sizeof(AbiBlock))
        return "ABI block is too short (" + std::to_string(block_bytes.size()) + " bytes)";
    AbiBlock plugin{};
    std::memcpy(&plugin, block_bytes.data(), sizeof(AbiBlock));
    constexpr AbiBlock daemon = make_abi_block();
    if (std::memcmp(plugin.magic, daemon.magic, sizeof(daemon.magic)) != 0)
        return "ABI block has the wrong magic";
    // Checked in this order so the most useful difference is named first.
    const struct {
        const char* name;
        std::uint32_t AbiBlock::*field;
    } fields[] = {
        {"sdk_abi_version", &AbiBlock::sdk_abi_version},
        {"cxx_standard", &AbiBlock::cxx_standard},
        {"libstdcxx_cxx11_abi", &AbiBlock::libstdcxx_cxx11_abi},
        {"pointer_size", &AbiBlock::pointer_size},
        {"sizeof_string", &AbiBlock::sizeof_string},
        {"sizeof_trade", &AbiBlock::sizeof_trade},
        {"sizeof_candidate", &AbiBlock::sizeof_candidate},
        {"sizeof_item_result", &AbiBlock::sizeof_item_result},
    };
    for (const auto& f : fields) {
        if (plugin.*(f.field) != daemon.*(f.field))
            return describe_field(f.name, daemon.*(f.field), plugin.*(f.field));
    }
    return "";
}

std::filesystem::path plugin_path(const std::filesystem::path& plugin_dir,
                                  const std::string& name) {
    return plugin_dir / (name + ".so");
}

std::shared_ptr<LoadedPlugin> load_plugin(const std::filesystem::path& path) {
    const std::string where = "plugin " + path.string() + ": ";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw PluginLoadError(where + "file not found");

    auto section = read_elf_section(path.string(), TRADESTORE_ABI_SECTION);
    if (!section.error.empty()) throw PluginLoadError(where + section.error);
    if (!section.bytes) {
        throw PluginLoadError(where +
                              "not a TradeStore plugin: no " TRADESTORE_ABI_SECTION
                              " section (declare the plugin with TRADESTORE_PLUGIN(describe))");
    }
    if (auto mismatch = abi_mismatch(*section.bytes); !mismatch.empty())
        throw PluginLoadError(where + "incompatible ABI: " + mismatch);

    auto library = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code load_error;
    // RTLD_NODELETE (Boost passes the bit through to dlopen): a plugin and the libraries it
    // pulled in stay mapped until exit. Unmapping them at shutdown gains nothing, runs their
    // destructors in an order no one chose, and hides one-time caches (ICU's, which libmongoc
    // fills for SCRAM) from the leak checker, which then reports them as leaks of an unknown
    // module; mapped, a real leak in a plugin is reported with its symbols.
    const auto mode = boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local |
                      static_cast<boost::dll::load_mode::type>(RTLD_NODELETE);
    library->load(path, mode, load_error);
    if (load_error) throw PluginLoadError(where + "cannot load: " + load_error.message());
    if (!library->has(TRADESTORE_DESCRIPTOR_SYMBOL))
        throw PluginLoadError(where + "missing symbol " TRADESTORE_DESCRIPTOR_SYMBOL);

    using DescriptorFunction = const PluginDescriptor*();
    const PluginDescriptor* descriptor =
        library->get<DescriptorFunction>(TRADESTORE_DESCRIPTOR_SYMBOL)();
    if (descriptor == nullptr) throw PluginLoadError(where + "descriptor is null");
    if (descriptor->name != path.stem().string()) {
        throw PluginLoadError(where + "descriptor names the plugin '" + descriptor->name +
                              "' but the file is " + path.filename().string());
    }
    const struct {
        PluginKind kind;
        bool has_factory;
        const char* factory;
    } kinds[] = {{kRulePlugin, descriptor->create_rule != nullptr, "create_rule"},
                 {kStorePlugin, descriptor->create_store != nullptr, "create_store"},
                 {kSourcePlugin, descriptor->create_source != nullptr, "create_source"},
                 {kJobPlugin, descriptor->create_job != nullptr, "create_job"}};
    if (descriptor->kinds == 0) throw PluginLoadError(where + "descriptor declares no kind");
    for (const auto& k : kinds) {
        if (((descriptor->kinds & k.kind) != 0) != k.has_factory) {
            throw PluginLoadError(where + "descriptor kinds and factories disagree at " +
                                  k.factory);
        }
    }
    return std::make_shared<LoadedPlugin>(path, std::move(library), descriptor);
}

LoadedPlugin::LoadedPlugin(std::filesystem::path path,
                           std::shared_ptr<boost::dll::shared_library> library,
                           const PluginDescriptor* descriptor)
    : path_(std::move(path)), library_(std::move(library)), descriptor_(descriptor) {}

template <typename T>
std::shared_ptr<T> LoadedPlugin::keep_library_alive(std::unique_ptr<T> object) const {
    if (!object) throw PluginLoadError("plugin " + path_.string() + ": factory returned null");
    // The deleter owns a reference to the library, so the code that destroys the object is
    // still mapped when it runs.
    auto library = library_;
    return std::shared_ptr<T>(object.release(), [library](T* raw) {
        std::unique_ptr<T> owned(raw);
        owned.reset();
    });
}

std::shared_ptr<Rule> LoadedPlugin::create_rule(const Settings& settings) const {
    return keep_library_alive(descriptor_->create_rule(settings));
}
std::shared_ptr<Store> LoadedPlugin::create_store(const Settings& settings) const {
    return keep_library_alive(descriptor_->create_store(settings));
}
std::shared_ptr<Source> LoadedPlugin::create_source(const Settings& settings) const {
    return keep_library_alive(descriptor_->create_source(settings));
}
std::shared_ptr<Job> LoadedPlugin::create_job(const Settings& settings) const {
    // nullptr: the settings enable no job (see PluginDescriptor::create_job).
    std::unique_ptr<Job> job = descriptor_->create_job(settings);
    if (!job) return nullptr;
    return keep_library_alive(std::move(job));
}

}  // namespace tradestore::kernel
