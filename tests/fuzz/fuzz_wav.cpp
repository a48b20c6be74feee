// Fuzzes the WAV reader (RIFF chunk checks, then libsndfile from memory).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tinyml/data/sources.hpp"
#include "tinyml/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    tinyml::data::parse_wav({reinterpret_cast<const char*>(data), size}, "fuzz.wav");
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
