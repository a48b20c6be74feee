// Prototype reduction for KNN, so that the stored rows fit a device's flash: Hart's
// condensed nearest neighbour (a subset of the training rows) and k-means prototypes per
// class (centroids), with a table of validation accuracy against the number of prototypes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/classic/kmeans.hpp"
#include "tinyml/classic/knn.hpp"
#include "tinyml/data/dataset.hpp"

namespace tinyml::classic {

struct CondenseOptions {
  Metric metric = Metric::L2;
  bool shuffle = true;      // visit the rows in an order drawn from `seed` (else in index order)
  std::uint64_t seed = 42;
  std::size_t max_passes = 50;
};

// Hart (1968): the store starts with the first row visited; each pass adds every row that
// the store's 1-nearest neighbour (lowest store position on ties) misclassifies, until a
// pass adds none (or max_passes). Returns the kept rows, in the order they were added.
data::Dataset condensed_nearest_neighbour(const data::Dataset& train,
                                          const CondenseOptions& opt = {});

// min(per_class, samples of the class) k-means centroids for each class, labelled with it,
// classes in order. opt.k is ignored; opt.seed is mixed with the class index.
data::Dataset kmeans_prototypes(const data::Dataset& train, std::size_t per_class,
                                const KMeansOptions& opt = {});

struct PrototypeTableOptions {
  KnnOptions knn = {1, Metric::L2, Weights::Uniform, 1};  // the classifier used on the prototypes
  std::vector<std::size_t> per_class = {1, 2, 4, 8, 16, 32};  // k-means sizes to try
  bool condensed = true;  // a row for Hart's condensed set
  bool full = true;       // a row for the whole training set
  KMeansOptions kmeans;
  CondenseOptions condense;
};

struct PrototypeRow {
  std::string method;          // "full", "condensed", "kmeans"
  std::size_t per_class = 0;   // kmeans: the size asked for per class
  std::size_t prototypes = 0;  // rows stored
  std::size_t bytes = 0;       // float32 rows + a one-byte label each (Knn::model_bytes)
  double accuracy = 0;         // on the validation set
};

// Accuracy on `validation` of the KNN classifier fitted on each reduction of `train`, rows
// in the order full, condensed, kmeans by increasing size. The KNN's k is lowered to the
// number of prototypes where it exceeds it.
std::vector<PrototypeRow> prototype_table(const data::Dataset& train,
                                          const data::Dataset& validation,
                                          const PrototypeTableOptions& opt = {});

// A fixed-width text table of the rows (one line each, with a header line).
std::string format_prototype_table(const std::vector<PrototypeRow>& rows);

// The most accurate row that fits in `flash_bytes` (fewer bytes on ties). InputError when no
// row fits.
const PrototypeRow& best_within_budget(const std::vector<PrototypeRow>& rows,
                                       std::size_t flash_bytes);

// The prototypes of a table row (the same computation as prototype_table).
data::Dataset prototypes_of(const data::Dataset& train, const PrototypeRow& row,
                            const PrototypeTableOptions& opt = {});

}  // namespace tinyml::classic
