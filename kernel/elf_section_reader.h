// Reads one named section's bytes from an ELF shared object without loading it, so the
// kernel can check a plugin's ABI block before any of the plugin's code runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tradestore::kernel {

struct ElfSectionResult {
    std::optional<std::vector<unsigned char>> bytes;  // absent: section not found
    std::string error;  // non-empty when the file is unreadable or not a valid ELF object
};

// The ELF machine (e_machine: EM_X86_64, EM_AARCH64, ...) this daemon was built for.
std::uint16_t host_elf_machine();

// Reads the section of a 64-bit little-endian shared object built for `machine` (by default
// the daemon's own); an object built for another machine is refused with both named.
ElfSectionResult read_elf_section(const std::string& path, const std::string& section_name,
                                  std::uint16_t machine = host_elf_machine());

}  // namespace tradestore::kernel
