#include "elf_section_reader.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <string_view>
#include <utility>

namespace tradestore::kernel {

namespace {

bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t size) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in.gcount()) == size;
}

// "aarch64 (ELF machine 183)", or "ELF machine N" for a machine without a name here.
std::string describe_machine(std::uint16_t machine) {
    static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
        {EM_X86_64, "x86-64"}, {EM_AARCH64, "aarch64"}, {EM_PPC64, "ppc64"},
        {EM_RISCV, "riscv"},   {EM_MIPS, "mips"},       {EM_LOONGARCH, "loongarch"},
        {EM_386, "i386"},      {EM_ARM, "arm"},         {EM_S390, "s390"},
    };
    const std::string number = "ELF machine " + std::to_string(machine);
    for (const auto& [known, name] : kNames) {
        if (known == machine) return std::string(name) + " (" + number + ")";
    }
    return number;
}

}  // namespace

std::uint16_t host_elf_machine() {
    // The reader reads 64-bit little-endian objects only: a host of another kind needs more
    // than a line here.
#if defined(__x86_64__)
    return EM_X86_64;
#elif defined(__aarch64__) && defined(__AARCH64EL__)
    return EM_AARCH64;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return EM_PPC64;
#elif defined(__riscv) && __riscv_xlen == 64
    return EM_RISCV;
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return EM_MIPS;
#elif defined(__loongarch64)
    return EM_LOONGARCH;
#else
#error "not a 64-bit little-endian architecture the ELF reader knows: add its EM_ constant"
#endif
}

ElfSectionResult read_elf_section(const std::string& path, const std::string& section_name,
                                  std::uint16_t machine) {
    ElfSectionResult result;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.error = "cannot open the file";
        return result;
    }
    in.seekg(0, std::ios::end);
    const auto file_size = static_cast<std::uint64_t>(in.tellg());

    Elf64_Ehdr header{};
    if (!read_at(in, 0, &header, sizeof(header)) ||
        std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
        result.error = "not an ELF shared object";
        return result;
    }
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
        header.e_type != ET_DYN) {
        result.error = "not a 64-bit little-endian ELF shared object";
        return result;
    }
    if (header.e_machine != machine) {
        result.error = "built for " + describe_machine(header.e_machine) +
                       ", but this daemon runs on " + describe_machine(machine);
        return result;
    }
    if (header.e_shentsize != sizeof(Elf64_Shdr) || header.e_shstrndx >= header.e_shnum ||
        header.e_shoff + std::uint64_t{header.e_shnum} * sizeof(Elf64_Shdr) > file_size) {
        result.error = "corrupt ELF section table";
        return result;
    }
    std::vector<Elf64_Shdr> sections(header.e_shnum);
    if (!read_at(in, header.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr))) {
        result.error = "corrupt ELF section table";
        return result;
    }
    const Elf64_Shdr& names = sections[header.e_shstrndx];
    if (names.sh_offset + names.sh_size > file_size || names.sh_size > (1u << 24)) {
        result.error = "corrupt ELF section names";
        return result;
    }
    std::vector<char> name_table(names.sh_size + 1, '\0');
    if (!read_at(in, names.sh_offset, name_table.data(), names.sh_size)) {
        result.error = "corrupt ELF section names";
        return result;
    }
    for (const Elf64_Shdr& section : sections) {
        if (section.sh_name >= names.sh_size) continue;
        if (section_name != &name_table[section.sh_name]) continue;
        if (section.sh_type == SHT_NOBITS || section.sh_offset + section.sh_size > file_size ||
            section.sh_size > (1u << 16)) {
            result.error = "corrupt section " + section_name;
            return result;
        }
        std::vector<unsigned char> bytes(section.sh_size);
        if (!read_at(in, section.sh_offset, bytes.data(), bytes.size())) {
            result.error = "corrupt section " + section_name;
            return result;
        }
        result.bytes = std::move(bytes);
        return result;
    }
    return result;
}

}  // namespace tradestore::kernel
