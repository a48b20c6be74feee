// Classification metrics: accuracy, confusion matrix, per-class precision, recall and F1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyml::eval {

struct ClassMetrics {
  std::string name;
  double precision = 0, recall = 0, f1 = 0;
  std::size_t support = 0;    // samples of this class
  std::size_t predicted = 0;  // samples predicted as this class
};

struct Evaluation {
  std::size_t samples = 0;
  double accuracy = 0, macro_f1 = 0;
  std::vector<std::vector<std::size_t>> confusion;  // [true][predicted]
  std::vector<ClassMetrics> classes;
  nlohmann::json json() const;
  std::string text() const;
};

// Precision of a class that is never predicted is 0 (and so is its F1), as scikit-learn
// reports with zero_division=0.
Evaluation evaluate(const std::vector<std::int32_t>& truth, const std::vector<std::int32_t>& predicted,
                    const std::vector<std::string>& class_names);

}  // namespace tinyml::eval
