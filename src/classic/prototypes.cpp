#include "tinyml/classic/prototypes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "distance.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"

namespace tinyml::classic {

data::Dataset condensed_nearest_neighbour(const data::Dataset& train, const CondenseOptions& opt) {
  const Rows r = rows_of(train, "condensed_nearest_neighbour: training data");
  checked_class_count(train, "condensed_nearest_neighbour: training data");
  if (opt.max_passes < 1) input_error("condensed_nearest_neighbour: max_passes must be at least 1");
  std::vector<std::size_t> order(r.n);
  std::iota(order.begin(), order.end(), 0);
  if (opt.shuffle) {
    data::Rng rng(opt.seed);
    rng.shuffle(order);
  }
  std::vector<std::size_t> store{order[0]};
  std::vector<char> stored(r.n, 0);
  stored[order[0]] = 1;
  for (std::size_t pass = 0; pass < opt.max_passes; ++pass) {
    bool added = false;
    for (std::size_t i : order) {
      if (stored[i]) continue;
      std::size_t best = store[0];
      double bd = std::numeric_limits<double>::infinity();
      for (std::size_t s : store) {
        const double d = detail::rank_distance(opt.metric, r.row(i), r.row(s), r.dim);
        if (d < bd) {
          bd = d;
          best = s;
        }
      }
      if (train.y[best] != train.y[i]) {
        store.push_back(i);
        stored[i] = 1;
        added = true;
      }
    }
    if (!added) break;
  }
  return subset(train, store);
}

data::Dataset kmeans_prototypes(const data::Dataset& train, std::size_t per_class,
                                const KMeansOptions& opt) {
  const Rows r = rows_of(train, "kmeans_prototypes: training data");
  const std::size_t nc = checked_class_count(train, "kmeans_prototypes: training data");
  if (per_class < 1) input_error("kmeans_prototypes: per_class must be at least 1 (got {})", per_class);
  data::Dataset out;
  out.shape = train.shape;
  out.features = train.features;
  out.classes = train.classes;
  out.norm = train.norm;
  for (std::size_t c = 0; c < nc; ++c) {
    std::vector<float> xs;
    for (std::size_t i = 0; i < r.n; ++i)
      if (train.y[i] == static_cast<std::int32_t>(c)) xs.insert(xs.end(), r.row(i), r.row(i) + r.dim);
    const std::size_t n = xs.size() / r.dim;
    if (n == 0) continue;
    KMeansOptions o = opt;
    o.k = std::min(per_class, n);
    o.seed = opt.seed ^ (0x9E3779B97F4A7C15ULL * (c + 1));
    const KMeans km = fit_kmeans(Rows{xs.data(), n, r.dim}, o);
    out.x.insert(out.x.end(), km.centroids.begin(), km.centroids.end());
    out.y.insert(out.y.end(), km.k(), static_cast<std::int32_t>(c));
  }
  out.group.assign(out.y.size(), 0);
  out.t_begin.assign(out.y.size(), std::numeric_limits<double>::quiet_NaN());
  out.t_end = out.t_begin;
  return out;
}

data::Dataset prototypes_of(const data::Dataset& train, const PrototypeRow& row,
                            const PrototypeTableOptions& opt) {
  if (row.method == "full") return train;
  if (row.method == "condensed") {
    CondenseOptions c = opt.condense;
    c.metric = opt.knn.metric;
    return condensed_nearest_neighbour(train, c);
  }
  if (row.method == "kmeans") return kmeans_prototypes(train, row.per_class, opt.kmeans);
  input_error("prototypes: unknown method '{}' (full, condensed, kmeans)", row.method);
}

std::vector<PrototypeRow> prototype_table(const data::Dataset& train,
                                          const data::Dataset& validation,
                                          const PrototypeTableOptions& opt) {
  std::vector<PrototypeRow> rows;
  if (opt.full) rows.push_back({"full", 0, 0, 0, 0});
  if (opt.condensed) rows.push_back({"condensed", 0, 0, 0, 0});
  std::vector<std::size_t> sizes = opt.per_class;
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  for (std::size_t s : sizes) rows.push_back({"kmeans", s, 0, 0, 0});
  for (auto& row : rows) {
    const data::Dataset protos = prototypes_of(train, row, opt);
    KnnOptions ko = opt.knn;
    ko.k = std::min(ko.k, protos.size());
    Knn knn(ko);
    knn.fit(protos);
    row.prototypes = knn.size();
    row.bytes = knn.model_bytes();
    row.accuracy = accuracy(knn.predict(validation), validation.y);
  }
  return rows;
}

std::string format_prototype_table(const std::vector<PrototypeRow>& rows) {
  std::string s = fmt::format("{:<10} {:>9} {:>10} {:>10} {:>9}\n", "method", "per class",
                              "prototypes", "bytes", "accuracy");
  for (const auto& r : rows)
    s += fmt::format("{:<10} {:>9} {:>10} {:>10} {:>9.4f}\n", r.method,
                     r.method == "kmeans" ? fmt::format("{}", r.per_class) : std::string("-"),
                     r.prototypes, r.bytes, r.accuracy);
  return s;
}

const PrototypeRow& best_within_budget(const std::vector<PrototypeRow>& rows,
                                       std::size_t flash_bytes) {
  const PrototypeRow* best = nullptr;
  for (const auto& r : rows) {
    if (r.bytes > flash_bytes) continue;
    if (!best || r.accuracy > best->accuracy ||
        (r.accuracy == best->accuracy && r.bytes < best->bytes))
      best = &r;
  }
  if (!best) {
    std::size_t smallest = std::numeric_limits<std::size_t>::max();
    for (const auto& r : rows) smallest = std::min(smallest, r.bytes);
    input_error("prototypes: no reduction fits flash_bytes = {} (the smallest needs {} bytes)",
                flash_bytes, smallest);
  }
  return *best;
}

}  // namespace tinyml::classic
