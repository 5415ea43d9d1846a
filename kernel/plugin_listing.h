// --list-plugins: every plugin in a folder with its descriptor and settings, generated from
// its schema; a file that fails to load is listed with the reason.
#pragma once

#include <filesystem>
#include <ostream>

namespace tradestore::kernel {

// Returns false when some file in the folder failed to load.
bool list_plugins(const std::filesystem::path& plugin_dir, std::ostream& out);

}  // namespace tradestore::kernel
