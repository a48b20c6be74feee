// A Dataset is what the data stage hands to training: N samples of one shape (a window of
// `length` time steps x features, or one row of features), an integer class per sample,
// where each sample came from (group, time span) and the normalization fitted on the
// training split. Saved as a versioned binary file (.tds) with a CRC32.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tinyml::data {

// x' = (x - offset[f]) / scale[f] for feature f; method "none" leaves x as it is.
struct Normalization {
  std::string method = "none";  // none | zscore | minmax
  std::vector<std::string> features;
  std::vector<double> offset, scale;
  nlohmann::json json() const;
  static Normalization from_json(const nlohmann::json& j);
};

struct Dataset {
  std::vector<std::uint32_t> shape;  // per sample: {length, features} or {features}
  std::vector<std::string> features;
  std::vector<std::string> classes;  // class index -> name; empty when unlabelled
  std::vector<float> x;              // size() * sample_size() values, row-major
  std::vector<std::int32_t> y;       // class index per sample, -1 when unlabelled
  std::vector<std::int32_t> group;   // group value per sample (e.g. device id), or 0
  std::vector<double> t_begin, t_end;  // time span per sample (seconds); NaN without time
  Normalization norm;

  std::size_t size() const { return y.size(); }
  std::size_t sample_size() const;
  std::vector<std::size_t> class_counts() const;
};

inline constexpr std::uint32_t kDatasetFormatVersion = 1;

std::string serialize(const Dataset& d);
// Throws InputError naming `name` for a wrong magic, a newer version, a truncated or
// corrupted file; nothing is returned half-loaded.
Dataset deserialize(std::string_view bytes, std::string_view name);
void save_dataset(const std::filesystem::path& p, const Dataset& d);
Dataset load_dataset(const std::filesystem::path& p);

// Fits the normalization on `train` (every time step of every sample) and applies it.
Normalization fit_normalization(const Dataset& train, const std::string& method);
void apply_normalization(Dataset& d, const Normalization& n);
// Sample i of a normalized dataset turned back into raw readings (x * scale + offset).
std::vector<float> raw_sample(const Dataset& d, std::size_t i);

}  // namespace tinyml::data
