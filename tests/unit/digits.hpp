// Test data shared by the unit tests: scikit-learn's digits, split and scaled.
#pragma once

#include <array>
#include <string>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"

namespace tinyml::testdata {

// scikit-learn's digits 8x8 (1,797 images, 64 pixels 0..16, then the label), split 70/15/15
// stratified with seed 42, pixels scaled by min-max fitted on the training part.
inline std::array<data::Dataset, 3> digits() {
  data::CsvOptions o;
  o.header = false;
  data::Table t = data::read_csv(std::string(TINYML_SOURCE_DIR) + "/data/sklearn/digits.csv.gz", o);
  data::Columns cols;
  cols.label = "c65";
  data::WindowStats st;
  data::Dataset all = data::make_windows(t, cols, data::make_label_map(t, cols), {}, {}, 0, st);
  data::SplitOptions so;
  so.method = data::SplitMethod::Stratified;
  auto part = data::split_samples(all.y, so);
  std::array<data::Dataset, 3> p;
  for (int k = 0; k < 3; ++k) p[static_cast<std::size_t>(k)] = data::select(all, part, k);
  auto n = data::fit_normalization(p[0], "minmax");
  for (auto& d : p) data::apply_normalization(d, n);
  for (auto& d : p) d.shape = {8, 8};
  return p;
}

}  // namespace tinyml::testdata
