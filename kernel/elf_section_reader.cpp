#include "elf_section_reader.h"

#include <elf.h>

#include <cstring>
#include <fstream>

namespace tradestore::kernel {

namespace {

bool read_at(std::ifstream& in, std::uint64_t offset, void* out, std::size_t size) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
    return static_cast<std::size_t>(in.gcount()) == size;
}

}  // namespace

ElfSectionResult read_elf_section(const std::string& path, const std::string& section_name) {
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
        header.e_machine != EM_X86_64 || header.e_type != ET_DYN) {
        result.error = "not an x86-64 ELF shared object";
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
