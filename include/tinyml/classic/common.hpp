// Shared pieces of the classic models (KNN, prototypes, trees, forests, k-means): a view of
// a Dataset's samples as rows of floats, input checks and accuracy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

// n rows of `dim` float32 values, row-major (a Dataset's x seen as a matrix: every sample
// flattened, whatever its shape).
struct Rows {
  const float* data = nullptr;
  std::size_t n = 0, dim = 0;

  const float* row(std::size_t i) const { return data + i * dim; }
};

// The samples of `d` as rows. Throws InputError naming `what` when x does not hold
// size() * sample_size() values or a value is NaN or infinite.
Rows rows_of(const data::Dataset& d, std::string_view what);
// The same checks for rows given directly.
Rows rows_of(std::span<const float> x, std::size_t dim, std::string_view what);

// Checks that `d` has labels usable for training (0 <= y < number of classes, at least one
// sample) and returns the number of classes: classes.size(), or max(y) + 1 when the class
// names are missing. Throws InputError naming `what`.
std::size_t checked_class_count(const data::Dataset& d, std::string_view what);

// Fraction of equal entries; throws InputError when the sizes differ or are 0.
double accuracy(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth);

// The samples of `d` at `indices`, in that order (group and time span carried along when
// `d` has them).
data::Dataset subset(const data::Dataset& d, std::span<const std::size_t> indices);

// Index of the largest value; the lowest index wins ties (numpy's argmax).
std::size_t argmax(std::span<const double> v);

}  // namespace tinyml::classic
