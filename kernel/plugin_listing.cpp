#include "plugin_listing.h"

#include <algorithm>
#include <vector>

#include "plugin_loader.h"
#include "setting_validation.h"

namespace tradestore::kernel {

namespace {

std::string kinds_text(std::uint32_t kinds) {
    std::string text;
    const std::pair<PluginKind, const char*> names[] = {{kRulePlugin, "rule"},
                                                        {kStorePlugin, "store"},
                                                        {kSourcePlugin, "source"},
                                                        {kJobPlugin, "job"}};
    for (const auto& [kind, name] : names) {
        if ((kinds & kind) == 0) continue;
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

}  // namespace

bool list_plugins(const std::vector<std::filesystem::path>& folders, std::ostream& out) {
    bool all_loaded = true;
    std::vector<std::filesystem::path> files;
    for (const auto& folder : folders) {
        std::error_code ec;
        if (folders.size() > 1 && !std::filesystem::exists(folder, ec)) {
            out << "plugin folder " << folder.string() << ": does not exist (skipped)\n\n";
            continue;
        }
        std::vector<std::filesystem::path> in_folder;
        for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
            if (entry.path().extension() == ".so") in_folder.push_back(entry.path());
        }
        if (ec) {
            out << "cannot read plugin folder " << folder.string() << ": " << ec.message() << "\n";
            all_loaded = false;
            continue;
        }
        std::sort(in_folder.begin(), in_folder.end());
        files.insert(files.end(), in_folder.begin(), in_folder.end());
    }
    for (const auto& file : files) {
        const auto same_name = std::count_if(files.begin(), files.end(), [&](const auto& other) {
            return other.filename() == file.filename();
        });
        try {
            auto plugin = load_plugin(file);
            const PluginDescriptor& d = plugin->descriptor();
            out << d.name << " " << d.version << " (" << kinds_text(d.kinds) << ")\n";
            out << "  from " << file.string() << "\n";
            if (same_name > 1) {
                all_loaded = false;
                out << "  NOT LOADABLE: also in another plugin folder; the daemon refuses a name "
                       "found twice\n";
            }
            out << "  " << d.description << "\n";
            if (!d.store_capabilities.empty()) {
                out << "  store capabilities: ";
                for (std::size_t i = 0; i < d.store_capabilities.size(); ++i) {
                    out << (i == 0 ? "" : ", ") << d.store_capabilities[i];
                }
                out << "\n";
            }
            out << "  config section: [plugin." << d.name << "]\n";
            if (d.settings.empty()) out << "  no settings\n";
            for (const auto& spec : d.settings) {
                out << "  " << spec.key << " (" << to_string(spec.type);
                if (spec.required)
                    out << ", required";
                else if (!spec.default_value.empty())
                    out << ", default " << spec.default_value;
                if (!spec.choices.empty()) out << ", one of " << setting_choices_text(spec.choices);
                out << "): " << spec.help << "\n";
            }
        } catch (const PluginLoadError& error) {
            all_loaded = false;
            out << file.filename().string() << ": NOT LOADABLE: " << error.what() << "\n";
        }
        out << "\n";
    }
    return all_loaded;
}

}  // namespace tradestore::kernel
