// Fuzzes the int8 model loader (.tmq): a bad file is refused whole; a file it accepts
// must also run one sample through the runtime's kernels without a fault (a kernel that
// refuses the shapes fails with a clear error, which is fine).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "container_input.hpp"
#include "tinyml/error.hpp"
#include "tinyml/optimize/int8_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string bytes = container_input(data, size);
  try {
    tinyml::optimize::Int8File f = tinyml::optimize::deserialize_int8(bytes, "fuzz.tmq");
    std::size_t total = 0;
    for (const auto& t : f.model.tensors) total += tinyml::nn::numel(t.shape);
    if (total > (1u << 20)) return 0;
    std::vector<float> sample(tinyml::nn::numel(f.model.tensors[f.model.input].shape), 0.5f);
    tinyml::optimize::run_int8(f.model, sample.data());
  } catch (const tinyml::InputError&) {
  } catch (const tinyml::Failure&) {
  }
  return 0;
}
