// Loads plugin shared objects safely: the ABI block is read from the file and checked field
// by field before the library is opened, then the descriptor is fetched and checked. A
// loaded library stays open for as long as anything created from it is alive.
#pragma once

#include <tradestore/plugin.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace tradestore::kernel {

// Names the file and the reason, e.g. "plugin /x/y.so: sdk_abi_version differs: ...".
class PluginLoadError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class LoadedPlugin {
  public:
    LoadedPlugin(std::filesystem::path path, std::shared_ptr<boost::dll::shared_library> library,
                 const PluginDescriptor* descriptor);

    const std::filesystem::path& path() const { return path_; }
    const PluginDescriptor& descriptor() const { return *descriptor_; }
    bool has_kind(PluginKind kind) const { return (descriptor_->kinds & kind) != 0; }

    // Each object keeps the library loaded until the object is destroyed.
    std::shared_ptr<Rule> create_rule(const Settings& settings) const;
    std::shared_ptr<Store> create_store(const Settings& settings) const;
    std::shared_ptr<Source> create_source(const Settings& settings) const;
    std::shared_ptr<Job> create_job(const Settings& settings) const;

  private:
    template <typename T>
    std::shared_ptr<T> keep_library_alive(std::unique_ptr<T> object) const;

    std::filesystem::path path_;
    std::shared_ptr<boost::dll::shared_library> library_;
    const PluginDescriptor* descriptor_;
};

// The field of the ABI block that differs, or "" when the block matches this daemon's.
std::string abi_mismatch(const std::vector<unsigned char>& block_bytes);

// Throws PluginLoadError. The descriptor's name must equal the file's stem.
std::shared_ptr<LoadedPlugin> load_plugin(const std::filesystem::path& path);

std::filesystem::path plugin_path(const std::filesystem::path& plugin_dir, const std::string& name);

}  // namespace tradestore::kernel
