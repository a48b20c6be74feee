// Fuzzes the model-file loader: a bad file is refused whole, never half-loaded.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // Half of the inputs get a valid checksum so the fuzzer reaches the header and weights.
  if (size >= 20 && (data[size - 1] & 1)) {
    std::uint32_t crc = tinyml::crc32(std::string_view(bytes).substr(0, size - 4));
    std::memcpy(bytes.data() + size - 4, &crc, 4);
  }
  try {
    tinyml::nn::ModelFile f = tinyml::nn::deserialize_model(bytes, "fuzz.tmm");
    if (tinyml::nn::numel(f.model.input_shape) > 4096) return 0;
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
