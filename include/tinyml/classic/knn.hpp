// k-nearest-neighbour classifier, brute force, with the same answers as scikit-learn's
// KNeighborsClassifier(algorithm="brute") for the metrics and weightings it offers.
//
// Which neighbours: for each query the training rows are scanned in index order and kept
// in a max-heap of k (distance, index) pairs, a row entering only when its distance is
// strictly smaller than the largest kept one, which it replaces; the heap is scikit-learn's
// (sklearn/utils/_heap.pyx, used by its ArgKmin reduction), so when several rows tie at
// the k-th distance the same ones are kept. (scikit-learn 1.2 itself can keep other tied
// rows when it splits the training rows between threads, which it does for fewer than
// 4 x 256 x threads queries, and for cosine, where it selects with numpy's argpartition
// on BLAS-rounded distances; with one thread, or with many queries, its L1/L2 answer is the
// one reproduced here. tests/classic/make_sklearn_golden.py measures both.) The k
// neighbours are then sorted by distance, ties by index.
//
// Votes: uniform (one per neighbour) or 1 / distance; when a neighbour is at distance 0,
// the neighbours at distance 0 get weight 1 and the others 0 (scikit-learn's rule). The
// class with the largest total wins, the lowest class index on ties (numpy's argmax).
//
// Distances are exact double-precision sums over the features in order (|a - b| for L1,
// (a - b)^2 for L2, ranked by the squared distance; cosine: 1 - the dot product of the two
// rows scaled to unit length, clipped to [0, 2]; a zero row stays zero). Speed comes from
// a blocked float32 pass (the squared-norm identity for L2 and cosine, 6 x 16 register
// tiles, AVX2/AVX-512 chosen at run time) with a proven error bound: a row whose
// approximate distance is certainly not below the heap's largest is skipped, every other
// row gets its exact distance, so the result is the exact one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tinyml/classic/common.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

enum class Metric { L2, L1, Cosine };
std::string_view to_string(Metric m);
// "l2" / "euclidean", "l1" / "manhattan", "cosine"; throws InputError naming `metric`.
Metric parse_metric(std::string_view s);

enum class Weights { Uniform, Distance };
std::string_view to_string(Weights w);
Weights parse_weights(std::string_view s);  // "uniform", "distance"

struct KnnOptions {
  std::size_t k = 5;
  Metric metric = Metric::L2;
  Weights weights = Weights::Uniform;
  // Threads for predict/kneighbors (queries are shared out; the answers do not depend on
  // it). 0 means std::thread::hardware_concurrency().
  unsigned threads = 1;
};

// The k nearest training rows of each query, sorted by (distance, index).
struct Neighbours {
  std::size_t k = 0;
  std::vector<std::uint32_t> index;  // queries x k
  std::vector<double> distance;      // queries x k (Euclidean, not squared, for L2)
};

class Knn {
 public:
  Knn() = default;
  explicit Knn(const KnnOptions& opt);

  // Keeps a copy of the training rows. Throws InputError for k < 1, k larger than the
  // number of training samples, missing labels or non-finite values.
  void fit(const data::Dataset& train);
  void fit(std::span<const float> x, std::size_t dim, std::span<const std::int32_t> y,
           std::size_t n_classes);

  Neighbours kneighbors(const data::Dataset& queries) const;
  Neighbours kneighbors(std::span<const float> queries) const;  // rows of dim() values
  std::vector<std::int32_t> predict(const data::Dataset& queries) const;
  std::vector<std::int32_t> predict(std::span<const float> queries) const;
  // The weighted votes of each query's neighbours, normalized to sum to 1 (queries x classes).
  std::vector<double> predict_proba(std::span<const float> queries) const;

  const KnnOptions& options() const { return opt_; }
  std::size_t size() const { return y_.size(); }
  std::size_t dim() const { return dim_; }
  std::size_t n_classes() const { return n_classes_; }
  // The stored training rows (size() x dim(), row-major) and their classes.
  std::span<const float> rows() const { return x_; }
  std::span<const std::int32_t> labels() const { return y_; }
  // What the model needs on a device: float32 rows and one byte per label.
  std::size_t model_bytes() const { return size() * (dim_ * sizeof(float) + 1); }

 private:
  void vote(const std::uint32_t* idx, const double* dist, double* out) const;

  KnnOptions opt_;
  std::size_t dim_ = 0, n_classes_ = 0;
  std::vector<float> x_;           // training rows, row-major
  std::vector<std::int32_t> y_;
  std::vector<double> norm_;       // L2: squared norms; cosine: norms (1 for a zero row)
  std::vector<float> packed_;      // panels of 16 rows, [dim][16] each (unit rows for cosine)
};

}  // namespace tinyml::classic
