// k-means (Lloyd's algorithm with k-means++ seeding), deterministic for a given seed on
// every platform (the seeding draws from data::Rng, SplitMix64).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tinyml/classic/common.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

struct KMeansOptions {
  std::size_t k = 8;
  std::size_t max_iter = 300;
  // Stop when the centroids moved, in squared Euclidean distance summed over centroids, by
  // no more than tol x the mean variance of the features (scikit-learn's criterion).
  double tol = 1e-4;
  std::size_t n_init = 1;  // independent seedings; the run with the lowest inertia is kept
  std::uint64_t seed = 42;
};

struct KMeans {
  std::size_t dim = 0;
  std::vector<float> centroids;  // k x dim, row-major
  double inertia = 0;            // sum of squared distances to the nearest centroid
  std::size_t iterations = 0;    // Lloyd iterations of the kept run

  std::size_t k() const { return dim ? centroids.size() / dim : 0; }
  // The nearest centroid (the lowest index on ties) and, if asked, its squared distance.
  std::size_t nearest(const float* x, double* squared_distance = nullptr) const;
};

// Throws InputError for k < 1, k larger than the number of samples, max_iter or n_init 0,
// a negative tol, or non-finite values.
KMeans fit_kmeans(const Rows& x, const KMeansOptions& opt);
KMeans fit_kmeans(const data::Dataset& d, const KMeansOptions& opt);

}  // namespace tinyml::classic
