// The project file, tinyml.toml: one file drives every stage. Unknown keys and wrong types
// are errors naming the file, line and column; nothing is silently ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"
#include "tinyml/data/merge.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/nn/train.hpp"

namespace tinyml {

struct SourceConfig {
  std::string name;
  std::filesystem::path path;    // resolved against the project file's folder
  std::string format;            // csv | wav | idx
  std::filesystem::path labels;  // idx: the labels file
  std::string part;              // idx: "test" sends every sample to the test split
  data::CsvOptions csv;
};

struct Project {
  std::filesystem::path file, dir, build_dir;
  std::string name;
  std::vector<SourceConfig> sources;
  data::MergeOptions merge;
  data::Columns columns;
  bool clean_enabled = false;
  data::CleanOptions clean;
  bool window_enabled = false;
  data::WindowOptions window;
  std::string normalize = "none";
  data::SplitOptions split;
  // [model] and [train]: the neural network and how to train it.
  bool model_enabled = false;
  std::string model_preset;        // or explicit layers
  double model_width = 1.0;
  nlohmann::json model_layers;     // explicit layer list (JSON objects), when given
  nn::TrainConfig train;
  // [knn]: a k-nearest-neighbours classifier on the same windows, beside the network.
  bool knn_enabled = false;
  int knn_k = 5;
  std::string knn_metric = "l2", knn_weights = "uniform";
  // Each stage's configuration in a canonical form (no comments, no layout), hashed with
  // its inputs to decide whether the stage must run again.
  std::string data_config, train_config;
};

Project parse_project(std::string_view text, const std::filesystem::path& file);
Project load_project(const std::filesystem::path& file);

}  // namespace tinyml
