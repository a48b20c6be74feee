// Train / validation / test splits that do not leak: time-ordered blocks per group, whole
// groups, or stratified random samples. The same seed gives the same split, byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/data/table.hpp"

namespace tinyml::data {

enum class SplitMethod { Time, Group, Stratified, Random };
std::string_view to_string(SplitMethod m);
SplitMethod parse_split_method(std::string_view s);

enum Part : std::int8_t { kTrain = 0, kValidation = 1, kTest = 2 };
inline constexpr const char* kPartNames[3] = {"train", "validation", "test"};

struct SplitOptions {
  SplitMethod method = SplitMethod::Time;
  double fractions[3] = {0.7, 0.15, 0.15};
  std::uint64_t seed = 42;
  std::string group_column;  // Group (and Time: blocks are cut per group)
  // Group: explicit group values per part (as text); empty lists mean "assign at random
  // by the fractions".
  std::vector<std::string> groups[3];
};

// Deterministic generator (SplitMix64), identical on every platform and library.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next();
  std::uint64_t below(std::uint64_t n);  // uniform in [0, n), without modulo bias
  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

 private:
  std::uint64_t s_;
};

// Row-level split for Time and Group: a part per row.
std::vector<std::int8_t> split_rows(const Table& t, const SplitOptions& opt);

// Sample-level split for Stratified and Random (one label per sample): a part per sample.
std::vector<std::int8_t> split_samples(const std::vector<std::int32_t>& labels,
                                       const SplitOptions& opt);

Dataset select(const Dataset& d, const std::vector<std::int8_t>& part, int which);

}  // namespace tinyml::data
