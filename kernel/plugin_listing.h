// --list-plugins: every plugin in a folder with its descriptor and settings, generated from
// its schema; a file that fails to load is listed with the reason.
#pragma once

#include <filesystem>
#include <ostream>
#include <vector>

namespace tradestore::kernel {

// Every plugin of every folder, in folder order, each with the file it came from. Returns false
// when some file failed to load, a folder could not be read, or a name is in two folders (the
// daemon would refuse to load it). A folder that does not exist is noted and skipped.
bool list_plugins(const std::vector<std::filesystem::path>& folders, std::ostream& out);

}  // namespace tradestore::kernel
