// Fuzzes the project-file loader: any input either loads or raises InputError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tinyml/error.hpp"
#include "tinyml/project.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    tinyml::parse_project(text, "fuzz/tinyml.toml");
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
