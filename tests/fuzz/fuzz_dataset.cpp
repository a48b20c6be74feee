// Fuzzes the .tds dataset loader: corrupt input is refused, never half-loaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tinyml/data/dataset.hpp"
#include "container_input.hpp"
#include "tinyml/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = container_input(data, size);
  try {
    tinyml::data::Dataset d = tinyml::data::deserialize(bytes, "fuzz.tds");
    if (d.x.size() != d.size() * d.sample_size()) __builtin_trap();
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
