// Fuzzes the IDX parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tinyml/data/sources.hpp"
#include "tinyml/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    auto t = tinyml::data::parse_idx({reinterpret_cast<const char*>(data), size}, "fuzz.idx");
    std::size_t n = 1;
    for (auto d : t.dims) n *= d;
    if (n != t.values.size()) __builtin_trap();
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
