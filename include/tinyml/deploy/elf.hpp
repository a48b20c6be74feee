// A small reader of 32-bit little-endian ELF files (the Cortex-M and RV32 firmware images):
// section headers and the symbol table, enough for sizes and symbol addresses.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyml::deploy {

struct ElfSection {
  std::string name;
  std::uint32_t type = 0;   // SHT_*: 1 PROGBITS, 8 NOBITS, ...
  std::uint32_t flags = 0;  // SHF_*: 1 WRITE, 2 ALLOC, 4 EXECINSTR
  std::uint32_t address = 0;
  std::uint32_t size = 0;
};

struct ElfSymbol {
  std::string name;
  std::uint32_t value = 0;  // as stored: Thumb functions have bit 0 set
  std::uint32_t size = 0;
  std::uint8_t type = 0;    // STT_*: 1 OBJECT, 2 FUNC
};

struct ElfFile {
  std::uint16_t machine = 0;  // EM_ARM (40) or EM_RISCV (243)
  std::uint32_t entry = 0;
  std::vector<ElfSection> sections;
  std::vector<ElfSymbol> symbols;  // .symtab (empty when stripped)

  const ElfSymbol* find_symbol(std::string_view name) const;
};

// Reads an ELF32 little-endian file. Throws InputError naming the file when it is not
// one or is cut short.
ElfFile read_elf(const std::filesystem::path& path);

}  // namespace tinyml::deploy
