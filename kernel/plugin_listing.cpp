#include "plugin_listing.h"

#include <algorithm>
#include <vector>

#include "plugin_loader.h"
#include "setting_validation.h"

namespace tradestore::kernel {

namespace {

std::string kinds_text(std::uint32_t kinds) {
    std::string text;
    const std::pair<PluginKind, const char*> names[] = {
        {kRulePlugin, "rule"}, {kStorePlugin, "store"}, {kSourcePlugin, "source"}, {kJobPlugin, "job"}};
    for (const auto& [kind, name] : names) {
        if ((kinds & kind) == 0) continue;
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

}  // namespace

bool list_plugins(const std::filesystem::path& plugin_dir, std::ostream& out) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(plugin_dir, ec)) {
        if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    if (ec) {
        out << "cannot read plugin folder " << plugin_dir.string() << ": " << ec.message() << "\n";
        return false;
    }
    std::sort(files.begin(), files.end());
    bool all_loaded = true;
    for (const auto& file : files) {
        try {
            auto plugin = load_plugin(file);
            const PluginDescriptor& d = plugin->descriptor();
            out << d.name << " " << d.version << " (" << kinds_text(d.kinds) << ")\n";
            out << "  " << d.description << "\n";
            out << "  config section: [plugin." << d.name << "]\n";
            if (d.settings.empty()) out << "  no settings\n";
            for (const auto& spec : d.settings) {
                out << "  " << spec.key << " (" << to_string(spec.type);
                if (spec.required) out << ", required";
                else if (!spec.default_value.empty()) out << ", default " << spec.default_value;
                if (!spec.choices.empty()) out << ", one of " << choices_text(spec.choices);
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
