// Reads one named section's bytes from an ELF shared object without loading it, so the
// kernel can check a plugin's ABI block before any of the plugin's code runs.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tradestore::kernel {

struct ElfSectionResult {
    std::optional<std::vector<unsigned char>> bytes;  // absent: section not found
    std::string error;  // non-empty when the file is unreadable or not a valid ELF object
};

ElfSectionResult read_elf_section(const std::string& path, const std::string& section_name);

}  // namespace tradestore::kernel
