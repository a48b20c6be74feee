// The project file, tinyml.toml: one file drives every stage. Unknown keys and wrong types
// are errors naming the file, line and column; nothing is silently ignored.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tinyml/act/rules.hpp"
#include "tinyml/classic/tree.hpp"
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
  // Prototype reduction: "none" (every training window), "condensed" (Hart) or "kmeans"
  // (centroids per class); empty when not given. With any of these keys the train stage
  // prints the table of validation accuracy against the number of prototypes.
  std::string knn_prototypes;
  std::size_t knn_per_class = 0;   // kmeans: centroids per class; 0 = the table's best size
  std::size_t knn_flash_bytes = 0; // 0 = no budget; else the most accurate row that fits
  // [tree] and [forest]: CART trees on the same windows, flattened.
  bool tree_enabled = false;
  classic::TreeOptions tree;
  bool forest_enabled = false;
  classic::ForestOptions forest;
  // [anomaly]: a detector fitted on the normal class only, its threshold calibrated on the
  // normal validation samples for a target false-positive rate.
  bool anomaly_enabled = false;
  struct Anomaly {
    std::string method = "kmeans";  // kmeans | autoencoder
    std::string normal_class;       // empty: the first class
    double target_fpr = 0.01;
    std::size_t clusters = 8;       // kmeans
    std::uint64_t seed = 42;
    double width = 1.0;             // autoencoder: the preset's width
    int epochs = 30, batch_size = 32;
    float lr = 0.001f;
  } anomaly;
  // [optimize]: int8 post-training quantization of the [model] network (with quantization-
  // aware fine-tuning when it loses too much), after optional pruning.
  bool optimize_enabled = false;
  struct Optimize {
    std::string calibration = "mse";  // minmax | percentile | mse
    std::size_t calibration_samples = 1000;
    double max_drop = 0.5;            // accuracy points int8 may lose before QAT is tried
    int qat_epochs = 3;
    float lr = 0.0005f;               // fine-tuning rate (QAT and pruning)
    double prune = 0;                 // unstructured sparsity of the weights, [0, 0.95]
    double structured_macs = 1;       // keep at most this fraction of the MACs, (0, 1]
    int prune_epochs = 4;             // fine-tuning epochs after each pruning
  } optimize;
  // [deploy]: generated code for the device, verified byte for byte against the host.
  bool deploy_enabled = false;
  struct Deploy {
    std::string name = "model";                  // C identifier of the generated files and symbols
    std::vector<std::string> verify = {"host"};  // "host" and emulated cores (or "all")
    std::size_t samples = 50;                    // test inputs per emulated core (host: all)
    bool reuse_input = false;                    // the memory plan may overwrite the input
  } deploy;
  // [target]: the board's budget; the build fails with a breakdown when the model exceeds it.
  bool target_enabled = false;
  struct TargetBudget {
    std::string board;  // a known board (deploy/boards.hpp), or empty
    std::string core;   // the emulated core that measures code, stack and instructions
    double flash_kb = 0, ram_kb = 0, clock_mhz = 0;  // 0: no limit / unknown
    double latency_ms = 0;                            // 0: no limit
  } target;
  // [actuators], [[rules]] and [simulate]: rules compiled into the exported code, and the
  // replay of recorded readings through model and rules (act/rules.hpp).
  act::ActConfig act;
  // Whether the train stage has anything to train.
  bool trains() const { return model_enabled || knn_enabled || tree_enabled || forest_enabled || anomaly_enabled; }
  // Each stage's configuration in a canonical form (no comments, no layout), hashed with
  // its inputs to decide whether the stage must run again.
  // The deploy stage's includes [actuators] and [[rules]] (they are part of the exported
  // code); simulate_config is [simulate].
  std::string data_config, train_config, optimize_config, deploy_config, simulate_config;
};

Project parse_project(std::string_view text, const std::filesystem::path& file);
Project load_project(const std::filesystem::path& file);

}  // namespace tinyml
