// Fuzzes the classic model-file loader (.tmc: KNN, tree, forest, anomaly detector): a bad
// file is refused whole with an InputError, never half-loaded, and a loaded one predicts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tinyml/classic/model_file.hpp"
#include "container_input.hpp"
#include "tinyml/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 1 << 16) return 0;
  const std::string bytes = container_input(data, size);
  try {
    tinyml::classic::ClassicModelFile f = tinyml::classic::deserialize_classic(bytes, "fuzz.tmc");
    // A loaded model must run on a sample of its shape.
    std::size_t n = 1;
    for (auto d : f.input_shape) n *= d;
    if (n > 4096) return 0;
    tinyml::data::Dataset d;
    d.shape = f.input_shape;
    d.classes = f.classes;
    d.x.assign(n, 0.5f);
    d.y = {0};
    d.group = {0};
    d.t_begin = d.t_end = {0.0};
    if (f.is_classifier())
      f.predict(d);
    else
      std::get<tinyml::classic::AnomalyDetector>(f.model).score(d);
  } catch (const tinyml::InputError&) {
  }
  return 0;
}
