// Fuzzes the model-file loader: a bad file is refused whole, never half-loaded.
#include <cstddef>
#include <cstdint>
#include <string>

#include "container_input.hpp"
#include "tinyml/error.hpp"
#include "tinyml/nn/model_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string bytes = container_input(data, size);
  try {
    tinyml::nn::ModelFile f = tinyml::nn::deserialize_model(bytes, "fuzz.tmm");
    if (tinyml::nn::numel(f.model.input_shape) > 4096) return 0;
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
