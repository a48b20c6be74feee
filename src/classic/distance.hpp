// Exact distances shared by the classic models (private to src/classic): double precision,
// features summed in order. Include only from sources compiled with -ffp-contract=off (see
// CMakeLists.txt), so that no multiply-add is fused and the results are the same on every
// machine.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tinyml/classic/knn.hpp"

namespace tinyml::classic::detail {

// Squared Euclidean distance.
inline double exact_l2(const float* a, const float* b, std::size_t dim) {
  double s = 0;
  for (std::size_t f = 0; f < dim; ++f) {
    const double t = static_cast<double>(a[f]) - static_cast<double>(b[f]);
    s += t * t;
  }
  return s;
}

inline double exact_l1(const float* a, const float* b, std::size_t dim) {
  double s = 0;
  for (std::size_t f = 0; f < dim; ++f)
    s += std::fabs(static_cast<double>(a[f]) - static_cast<double>(b[f]));
  return s;
}

inline double squared_norm(const float* a, std::size_t dim) {
  double s = 0;
  for (std::size_t f = 0; f < dim; ++f) s += static_cast<double>(a[f]) * static_cast<double>(a[f]);
  return s;
}

// The norm a row is divided by for the cosine distance: 1 for a zero row, which stays zero
// (scikit-learn's normalize()).
inline double cosine_norm(const float* a, std::size_t dim) {
  const double n = std::sqrt(squared_norm(a, dim));
  return n > 0 ? n : 1.0;
}

// 1 - (a / norm_a) . (b / norm_b), clipped to [0, 2].
inline double exact_cosine(const float* a, double norm_a, const float* b, double norm_b,
                           std::size_t dim) {
  double s = 0;
  for (std::size_t f = 0; f < dim; ++f)
    s += (static_cast<double>(a[f]) / norm_a) * (static_cast<double>(b[f]) / norm_b);
  return std::clamp(1.0 - s, 0.0, 2.0);
}

// The distance neighbours are ranked by: squared for L2.
inline double rank_distance(Metric m, const float* a, const float* b, std::size_t dim) {
  switch (m) {
    case Metric::L2: return exact_l2(a, b, dim);
    case Metric::L1: return exact_l1(a, b, dim);
    case Metric::Cosine: return exact_cosine(a, cosine_norm(a, dim), b, cosine_norm(b, dim), dim);
  }
  return 0;
}

}  // namespace tinyml::classic::detail
