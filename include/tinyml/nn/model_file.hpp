// The model file (.tmm): a versioned binary holding everything needed to run a trained
// model: the layer declarations, the input shape, class names, the normalization of the
// data stage, the weights and BatchNorm statistics, and a CRC32 over it all.
//
//   "TMLMODEL"  u32 format version  u32 header length  header (JSON)
//   float32 blobs, in the order the header lists them   u32 CRC-32 of all before it
//
// Loading checks the magic, the version, the checksum, the header, and every blob size
// against the rebuilt model before touching a weight: a bad file is refused whole.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model.hpp"

namespace tinyml::nn {

inline constexpr std::uint32_t kModelFormatVersion = 1;

struct ModelFile {
  Model model;
  nlohmann::json layers;  // the declarations the model was built from
  std::vector<std::string> classes;
  data::Normalization normalization;
  nlohmann::json metadata;  // free-form: training summary, source dataset, ...
};

std::string serialize(ModelFile& f);
ModelFile deserialize_model(std::string_view bytes, std::string_view name);
void save_model(const std::filesystem::path& p, ModelFile& f);
ModelFile load_model(const std::filesystem::path& p);

}  // namespace tinyml::nn
