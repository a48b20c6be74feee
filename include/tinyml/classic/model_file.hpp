// The classic model file (.tmc): a trained KNN, decision tree, random forest or anomaly
// detector (k-means distance or autoencoder reconstruction error, with its calibrated
// threshold), with what is needed to use it on new data: class names, the per-sample
// input shape and feature names, and the data stage's normalization.
//
//   "TMLCLASS"  u32 format version  u32 header length  header (JSON)
//   arrays, in the order the header lists them   u32 CRC-32 of all before it
//
// The header names the kind ("knn", "tree", "forest", "anomaly"), the options the model
// was trained with and every array of the body (name, element type, count). Loading checks
// the magic, the version (a newer one is refused), the checksum, the header, every array's
// size and the model's structure (a tree's children follow their parent, a leaf's class
// distribution is stored, labels are classes, values are finite) before returning: a bad
// file is refused whole, with an InputError naming it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/classic/anomaly.hpp"
#include "tinyml/classic/knn.hpp"
#include "tinyml/classic/tree.hpp"
#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model_file.hpp"

namespace tinyml::classic {

inline constexpr std::uint32_t kClassicFormatVersion = 1;

// A trained anomaly detector: a sample is an anomaly when its score is > threshold.
struct AnomalyDetector {
  std::string method = "kmeans";  // kmeans | autoencoder
  std::int32_t normal_class = 0;  // the class the detector was fitted on
  double target_fpr = 0.01;       // the false-positive rate the threshold was calibrated for
  double threshold = 0;
  KMeansAnomalyDetector kmeans;   // kmeans: score = distance to the nearest centroid
  nn::ModelFile autoencoder;      // autoencoder: score = mean squared reconstruction error

  std::vector<double> score(const data::Dataset& d);
};

struct ClassicModelFile {
  std::variant<Knn, DecisionTree, RandomForest, AnomalyDetector> model;
  std::vector<std::string> classes;
  std::vector<std::uint32_t> input_shape;  // per sample, as in the datasets
  std::vector<std::string> features;
  data::Normalization normalization;
  nlohmann::json metadata = nlohmann::json::object();  // free-form: training summary

  // Takes the class names, sample shape, feature names and normalization of `train`.
  void describe_data(const data::Dataset& train);
  std::string_view kind() const;  // "knn", "tree", "forest" or "anomaly"
  bool is_classifier() const { return !std::holds_alternative<AnomalyDetector>(model); }
  // InputError naming both files when `d` has another sample shape or other classes.
  void check_dataset(const data::Dataset& d, std::string_view dataset_name, std::string_view model_name) const;
  // The predicted class of every sample (a classifier only).
  std::vector<std::int32_t> predict(const data::Dataset& d) const;
};

std::string serialize(ClassicModelFile& f);  // not const: an autoencoder's weights are read in place
ClassicModelFile deserialize_classic(std::string_view bytes, std::string_view name);
ClassicModelFile load_classic(const std::filesystem::path& p);
// True when `bytes` start with the classic model file's magic.
bool is_classic_model(std::string_view bytes);

}  // namespace tinyml::classic
