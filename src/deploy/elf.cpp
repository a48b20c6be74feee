#include "tinyml/deploy/elf.hpp"

#include <cstring>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"

namespace tinyml::deploy {

namespace {

constexpr std::uint32_t kSymtab = 2;  // SHT_SYMTAB
constexpr std::size_t kHeaderBytes = 52;
constexpr std::size_t kSectionBytes = 40;
constexpr std::size_t kSymbolBytes = 16;

// Bounds-checked little-endian reads from the file's bytes.
class Reader {
 public:
  Reader(std::string_view bytes, const std::filesystem::path& path) : bytes_(bytes), path_(path) {}

  void need(std::size_t offset, std::size_t count, std::string_view what) const {
    if (offset > bytes_.size() || count > bytes_.size() - offset) {
      input_error("{}: not a valid ELF file: the {} lies beyond the end of the file", path_.string(),
                  what);
    }
  }
  std::uint8_t u8(std::size_t offset) const { return static_cast<std::uint8_t>(bytes_[offset]); }
  std::uint16_t u16(std::size_t offset) const {
    return static_cast<std::uint16_t>(u8(offset) | (u8(offset + 1) << 8));
  }
  std::uint32_t u32(std::size_t offset) const {
    return static_cast<std::uint32_t>(u16(offset)) | (static_cast<std::uint32_t>(u16(offset + 2)) << 16);
  }
  // A NUL-terminated name inside the string table [table, table + table_size).
  std::string name(std::size_t table, std::size_t table_size, std::uint32_t index) const {
    if (index >= table_size) input_error("{}: not a valid ELF file: a name lies outside its table", path_.string());
    const std::string_view rest = bytes_.substr(table + index, table_size - index);
    return std::string(rest.substr(0, rest.find('\0')));
  }

 private:
  std::string_view bytes_;
  const std::filesystem::path& path_;
};

}  // namespace

const ElfSymbol* ElfFile::find_symbol(std::string_view name) const {
  for (const ElfSymbol& s : symbols) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

ElfFile read_elf(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  const Reader r(bytes, path);
  r.need(0, kHeaderBytes, "header");
  if (std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0) input_error("{}: not an ELF file", path.string());
  if (r.u8(4) != 1 || r.u8(5) != 1) {
    input_error("{}: not a 32-bit little-endian ELF file (the firmware targets are)", path.string());
  }
  ElfFile elf;
  elf.machine = r.u16(18);
  elf.entry = r.u32(24);
  const std::uint32_t shoff = r.u32(32);
  const std::uint16_t shentsize = r.u16(46), shnum = r.u16(48), shstrndx = r.u16(50);
  if (shnum == 0) return elf;
  if (shentsize < kSectionBytes || shstrndx >= shnum) {
    input_error("{}: not a valid ELF file: bad section header table", path.string());
  }
  r.need(shoff, std::size_t{shentsize} * shnum, "section header table");

  struct Raw {
    std::uint32_t name, type, flags, addr, offset, size, link;
  };
  std::vector<Raw> raw(shnum);
  for (std::size_t i = 0; i < shnum; ++i) {
    const std::size_t h = shoff + i * shentsize;
    raw[i] = {r.u32(h), r.u32(h + 4), r.u32(h + 8), r.u32(h + 12), r.u32(h + 16), r.u32(h + 20), r.u32(h + 24)};
  }
  const Raw& names = raw[shstrndx];
  r.need(names.offset, names.size, "section name table");
  for (const Raw& s : raw) {
    elf.sections.push_back({r.name(names.offset, names.size, s.name), s.type, s.flags, s.addr, s.size});
  }

  for (const Raw& s : raw) {
    if (s.type != kSymtab) continue;
    if (s.link >= shnum) input_error("{}: not a valid ELF file: bad symbol string table", path.string());
    const Raw& strings = raw[s.link];
    r.need(s.offset, s.size, "symbol table");
    r.need(strings.offset, strings.size, "symbol string table");
    for (std::size_t off = s.offset; off + kSymbolBytes <= std::size_t{s.offset} + s.size; off += kSymbolBytes) {
      ElfSymbol sym;
      sym.name = r.name(strings.offset, strings.size, r.u32(off));
      sym.value = r.u32(off + 4);
      sym.size = r.u32(off + 8);
      sym.type = static_cast<std::uint8_t>(r.u8(off + 12) & 0xfu);
      if (!sym.name.empty()) elf.symbols.push_back(std::move(sym));
    }
  }
  return elf;
}

}  // namespace tinyml::deploy
