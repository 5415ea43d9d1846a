// The ELF section reader on crafted shared objects: it reads the ABI section of a plugin built
// for the machine the daemon runs on, whichever that is (x86-64, aarch64), and refuses one
// built for another machine with a message naming both.
#include "elf_section_reader.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tradestore::kernel {
namespace {

namespace fs = std::filesystem;

constexpr char kSection[] = ".tradestore_abi";
const std::vector<unsigned char> kPayload = {'T', 'R', 'A', 'D', 'E', 'S', 'T', 'O', 'R', 'E'};

// Through resize and memcpy: GCC 12 at -O1 (the TSan preset) takes vector::insert of a
// struct's bytes for an overflow (-Wstringop-overflow, a known false positive).
template <typename T>
void append(std::vector<unsigned char>& out, const T& value) {
    const std::size_t at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

// A minimal 64-bit little-endian ELF file: the header, the section's bytes, the section names
// and a table of three sections (null, .tradestore_abi, .shstrtab).
std::vector<unsigned char> crafted_elf(std::uint16_t machine, std::uint16_t type = ET_DYN,
                                       unsigned char elf_class = ELFCLASS64) {
    const std::string names = std::string("\0", 1) + kSection + '\0' + ".shstrtab" + '\0';
    const std::uint64_t payload_at = sizeof(Elf64_Ehdr);
    const std::uint64_t names_at = payload_at + kPayload.size();
    const std::uint64_t table_at = names_at + names.size();

    Elf64_Ehdr header{};
    std::memcpy(header.e_ident, ELFMAG, SELFMAG);
    header.e_ident[EI_CLASS] = elf_class;
    header.e_ident[EI_DATA] = ELFDATA2LSB;
    header.e_ident[EI_VERSION] = EV_CURRENT;
    header.e_type = type;
    header.e_machine = machine;
    header.e_version = EV_CURRENT;
    header.e_shoff = table_at;
    header.e_ehsize = sizeof(Elf64_Ehdr);
    header.e_shentsize = sizeof(Elf64_Shdr);
    header.e_shnum = 3;
    header.e_shstrndx = 2;

    Elf64_Shdr none{};
    Elf64_Shdr abi{};
    abi.sh_name = 1;
    abi.sh_type = SHT_PROGBITS;
    abi.sh_offset = payload_at;
    abi.sh_size = kPayload.size();
    Elf64_Shdr strings{};
    strings.sh_name = static_cast<Elf64_Word>(1 + std::strlen(kSection) + 1);
    strings.sh_type = SHT_STRTAB;
    strings.sh_offset = names_at;
    strings.sh_size = names.size();

    std::vector<unsigned char> file;
    append(file, header);
    file.insert(file.end(), kPayload.begin(), kPayload.end());
    file.insert(file.end(), names.begin(), names.end());
    append(file, none);
    append(file, abi);
    append(file, strings);
    return file;
}

class ElfSectionReaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("tradestore-elf-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::vector<unsigned char>& bytes) {
        const fs::path path = dir_ / name;
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
        return path.string();
    }

    fs::path dir_;
};

TEST_F(ElfSectionReaderTest, ReadsTheSectionOfAPluginBuiltForTheDaemonsMachine) {
    for (const std::uint16_t machine : {EM_X86_64, EM_AARCH64}) {
        const auto result =
            read_elf_section(write("plugin.so", crafted_elf(machine)), kSection, machine);
        EXPECT_EQ(result.error, "") << machine;
        ASSERT_TRUE(result.bytes) << machine;
        EXPECT_EQ(*result.bytes, kPayload);
    }
}

TEST_F(ElfSectionReaderTest, RefusesAPluginBuiltForAnotherMachineNamingBoth) {
    struct Case {
        std::uint16_t plugin, daemon;
        std::string error;
    };
    const Case cases[] = {
        {EM_AARCH64, EM_X86_64,
         "built for aarch64 (ELF machine 183), but this daemon runs on x86-64 (ELF machine 62)"},
        {EM_X86_64, EM_AARCH64,
         "built for x86-64 (ELF machine 62), but this daemon runs on aarch64 (ELF machine 183)"},
        {0x9999, EM_AARCH64,
         "built for ELF machine 39321, but this daemon runs on aarch64 (ELF machine 183)"},
    };
    for (const Case& c : cases) {
        const auto result =
            read_elf_section(write("plugin.so", crafted_elf(c.plugin)), kSection, c.daemon);
        EXPECT_FALSE(result.bytes);
        EXPECT_EQ(result.error, c.error);
    }
}

TEST_F(ElfSectionReaderTest, RefusesWhatIsNotA64BitSharedObject) {
    for (const auto& file : {crafted_elf(EM_AARCH64, ET_EXEC), crafted_elf(EM_AARCH64, ET_REL),
                             crafted_elf(EM_AARCH64, ET_DYN, ELFCLASS32)}) {
        const auto result = read_elf_section(write("odd.so", file), kSection, EM_AARCH64);
        EXPECT_FALSE(result.bytes);
        EXPECT_EQ(result.error, "not a 64-bit little-endian ELF shared object");
    }
}

// The machine the reader expects by default is the one this very binary was built for.
TEST(HostElfMachineTest, IsTheMachineOfTheRunningBinary) {
    Elf64_Ehdr self{};
    std::ifstream("/proc/self/exe", std::ios::binary)
        .read(reinterpret_cast<char*>(&self), sizeof(self));
    ASSERT_EQ(std::memcmp(self.e_ident, ELFMAG, SELFMAG), 0);
    EXPECT_EQ(host_elf_machine(), self.e_machine);
}

}  // namespace
}  // namespace tradestore::kernel
