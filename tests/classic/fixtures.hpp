// Shared helpers of the classic models' tests: the shipped scikit-learn data sets with the
// split of make_sklearn_golden.py, and the reference files it writes.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyml/classic/sklearn_data.hpp"
#include "tinyml/error.hpp"

namespace classic_test {

inline std::string sklearn_path(const std::string& name) {
  static const std::map<std::string, std::string> files = {
      {"iris", "data/sklearn/iris.csv"},
      {"wine", "data/sklearn/wine_data.csv"},
      {"digits", "data/sklearn/digits.csv.gz"},
      {"breast_cancer", "data/sklearn/breast_cancer.csv"}};
  auto it = files.find(name);
  if (it != files.end()) return std::string(TINYML_SOURCE_DIR) + "/" + it->second;
  return std::string(TINYML_CLASSIC_TEST_DATA) + "/knn_" + name + ".csv";  // knn_ties.csv
}

struct Split {
  tinyml::data::Dataset train, test;
};

// The data set split as make_sklearn_golden.py does (test: i % 3 == 2); loaded once.
inline const Split& sklearn_split(const std::string& name) {
  static std::map<std::string, Split> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    auto [train, test] = tinyml::classic::split_every(tinyml::classic::read_sklearn_csv(sklearn_path(name)), 3);
    it = cache.emplace(name, Split{std::move(train), std::move(test)}).first;
  }
  return it->second;
}

// The non-comment lines of a reference file in tests/classic/data/, split at ':' (or '|'):
// key -> rest.
inline std::vector<std::pair<std::string, std::string>> reference_lines(const std::string& file,
                                                                        char sep = ':') {
  std::ifstream in(std::string(TINYML_CLASSIC_TEST_DATA) + "/" + file);
  EXPECT_TRUE(in.good()) << "cannot read " << file;
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto pos = line.find(sep);
    out.emplace_back(line.substr(0, pos), pos == std::string::npos ? "" : line.substr(pos + 1));
  }
  return out;
}

template <typename T>
std::vector<T> numbers(const std::string& s) {
  std::istringstream in(s);
  std::vector<T> v;
  T x;
  while (in >> x) v.push_back(x);
  return v;
}

// Runs f, which must throw InputError with `needle` in its message.
template <typename F>
void expect_input_error(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error, expected one mentioning " << needle;
  } catch (const tinyml::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace classic_test
