// The int8 model file (.tmq): the quantized operations of an Int8Model with every
// tensor's quantization, the weights, biases and requantization multipliers, the class
// names and the data stage's normalization, in tinyml's container (magic "TMLINT8",
// version, JSON header, body, CRC32).
//
// Loading refuses impossible quantization before anything runs, naming the tensor or the
// operation: a scale that is not a positive finite number, a zero point outside
// [-128, 127], a multiplier outside [2^30, 2^31) (or 0), a shift outside [-31, 30], an
// activation clamp outside the int8 range, or arrays whose sizes do not match the shapes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/optimize/int8_model.hpp"

namespace tinyml::optimize {

inline constexpr std::uint32_t kInt8FormatVersion = 1;

struct Int8File {
  Int8Model model;
  std::vector<std::string> classes;
  data::Normalization normalization;
};

std::string serialize(const Int8File& f);
Int8File deserialize_int8(std::string_view bytes, std::string_view name);
bool is_int8_model(std::string_view bytes);  // by the magic

}  // namespace tinyml::optimize
