#include "tinyml/classic/knn.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

#include "distance.hpp"
#include "kernels.hpp"
#include "tinyml/error.hpp"

namespace tinyml::classic {

using detail::kPanel;
using detail::kTileRows;
using detail::cosine_norm;
using detail::exact_cosine;
using detail::exact_l1;
using detail::exact_l2;
using detail::squared_norm;

std::string_view to_string(Metric m) {
  switch (m) {
    case Metric::L2: return "l2";
    case Metric::L1: return "l1";
    case Metric::Cosine: return "cosine";
  }
  return "?";
}

Metric parse_metric(std::string_view s) {
  if (s == "l2" || s == "euclidean") return Metric::L2;
  if (s == "l1" || s == "manhattan") return Metric::L1;
  if (s == "cosine") return Metric::Cosine;
  input_error("metric: expected l2 (euclidean), l1 (manhattan) or cosine, got '{}'", s);
}

std::string_view to_string(Weights w) { return w == Weights::Uniform ? "uniform" : "distance"; }

Weights parse_weights(std::string_view s) {
  if (s == "uniform") return Weights::Uniform;
  if (s == "distance") return Weights::Distance;
  input_error("weights: expected uniform or distance, got '{}'", s);
}

namespace {

constexpr std::size_t kQueryBlock = 96;   // queries per block (a multiple of kTileRows)
constexpr std::size_t kTrainBlock = 256;  // training rows per block (a multiple of kPanel)
constexpr std::size_t kDimBlock = 256;    // features per pass over a block
static_assert(kQueryBlock % kTileRows == 0 && kTrainBlock % kPanel == 0);

// scikit-learn's heap_push (sklearn/utils/_heap.pyx): a max-heap of `size` values with
// their indices; `val` enters only when strictly smaller than the root.
void heap_push(double* values, std::uint32_t* indices, std::size_t size, double val,
               std::uint32_t idx) {
  if (val >= values[0]) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t l = 2 * i + 1, r = l + 1;
    std::size_t s;
    if (l >= size) {
      break;
    } else if (r >= size) {
      if (values[l] > val) s = l;
      else break;
    } else if (values[l] >= values[r]) {
      if (val < values[l]) s = l;
      else break;
    } else {
      if (val < values[r]) s = r;
      else break;
    }
    values[i] = values[s];
    indices[i] = indices[s];
    i = s;
  }
  values[i] = val;
  indices[i] = idx;
}

// Relative error bound of the float32 pass: (dim + 8) * 2^-22 is four times gamma_dim =
// dim u / (1 - dim u), u = 2^-24, which bounds a float dot product or sum of dim terms in
// any order, with room for the rounding of the norms and of the double combination.
double error_factor(std::size_t dim) {
  return static_cast<double>(dim + 8) * 0x1p-22;
}

}  // namespace

Knn::Knn(const KnnOptions& opt) : opt_(opt) {}

void Knn::fit(const data::Dataset& train) {
  const Rows r = rows_of(train, "knn: training data");
  const std::size_t nc = checked_class_count(train, "knn: training data");
  fit(std::span<const float>(train.x), r.dim, train.y, nc);
}

void Knn::fit(std::span<const float> x, std::size_t dim, std::span<const std::int32_t> y,
              std::size_t n_classes) {
  const Rows r = rows_of(x, dim, "knn: training data");
  if (opt_.k < 1) input_error("knn: k must be at least 1 (got {})", opt_.k);
  if (r.n != y.size())
    input_error("knn: training data has {} samples but {} labels", r.n, y.size());
  if (r.n == 0) input_error("knn: training data has no samples");
  if (opt_.k > r.n)
    input_error("knn: k = {} is larger than the {} training samples", opt_.k, r.n);
  if (r.n > std::numeric_limits<std::uint32_t>::max())
    input_error("knn: {} training samples are more than 2^32 - 1", r.n);
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] < 0 || static_cast<std::size_t>(y[i]) >= n_classes)
      input_error("knn: training sample {} has class {}, outside 0..{}", i, y[i], n_classes - 1);

  dim_ = dim;
  n_classes_ = n_classes;
  x_.assign(x.begin(), x.end());
  y_.assign(y.begin(), y.end());
  norm_.assign(r.n, 0.0);
  const std::size_t panels = (r.n + kPanel - 1) / kPanel;
  packed_.assign(panels * kPanel * dim, 0.0f);
  for (std::size_t i = 0; i < r.n; ++i) {
    const float* row = r.row(i);
    double scale = 1.0;
    if (opt_.metric == Metric::L2) {
      norm_[i] = squared_norm(row, dim);
    } else if (opt_.metric == Metric::Cosine) {
      norm_[i] = scale = cosine_norm(row, dim);
    }
    float* panel = packed_.data() + (i / kPanel) * kPanel * dim;
    for (std::size_t f = 0; f < dim; ++f)
      panel[f * kPanel + i % kPanel] =
          static_cast<float>(static_cast<double>(row[f]) / scale);
  }
}

Neighbours Knn::kneighbors(const data::Dataset& queries) const {
  const Rows r = rows_of(queries, "knn: queries");
  if (!y_.empty() && r.dim != dim_)
    input_error("knn: queries have {} values per sample, the model was fitted on {}", r.dim,
                dim_);
  return kneighbors(std::span<const float>(queries.x));
}

Neighbours Knn::kneighbors(std::span<const float> queries) const {
  if (y_.empty()) input_error("knn: the model is not fitted");
  const Rows qr = rows_of(queries, dim_, "knn: queries");
  const std::size_t k = opt_.k, nq = qr.n, n = y_.size(), dim = dim_;
  Neighbours out;
  out.k = k;
  out.index.assign(nq * k, 0);
  out.distance.assign(nq * k, 0.0);
  const double factor = error_factor(dim);
  const Metric metric = opt_.metric;

  // Answers the queries [q_begin, q_end).
  auto search = [&](std::size_t q_begin, std::size_t q_end) {
    std::vector<float> qbuf(kQueryBlock * dim);
    std::vector<double> qnorm(kQueryBlock);
    std::vector<float> dist(kQueryBlock * kTrainBlock);
    std::vector<double> heap_v(kQueryBlock * k);
    std::vector<std::uint32_t> heap_i(kQueryBlock * k);
    std::vector<std::pair<double, std::uint32_t>> sorted(k);
    for (std::size_t qb = q_begin; qb < q_end; qb += kQueryBlock) {
      const std::size_t m = std::min(kQueryBlock, q_end - qb);
      const std::size_t m_tiles = (m + kTileRows - 1) / kTileRows * kTileRows;
      std::fill(qbuf.begin(), qbuf.end(), 0.0f);
      for (std::size_t i = 0; i < m; ++i) {
        const float* row = qr.row(qb + i);
        double scale = 1.0;
        if (metric == Metric::L2) {
          qnorm[i] = squared_norm(row, dim);
        } else if (metric == Metric::Cosine) {
          qnorm[i] = scale = cosine_norm(row, dim);
        }
        for (std::size_t f = 0; f < dim; ++f)
          qbuf[i * dim + f] = static_cast<float>(static_cast<double>(row[f]) / scale);
      }
      std::fill(heap_v.begin(), heap_v.end(), std::numeric_limits<double>::infinity());
      std::fill(heap_i.begin(), heap_i.end(), 0u);

      for (std::size_t tb = 0; tb < n; tb += kTrainBlock) {
        const std::size_t tn = std::min(kTrainBlock, n - tb);
        const std::size_t panels = (tn + kPanel - 1) / kPanel;
        std::fill(dist.begin(), dist.end(), 0.0f);
        for (std::size_t f0 = 0; f0 < dim; f0 += kDimBlock) {
          const std::size_t kc = std::min(kDimBlock, dim - f0);
          for (std::size_t r = 0; r < m_tiles; r += kTileRows)
            for (std::size_t p = 0; p < panels; ++p) {
              const float* panel = packed_.data() + ((tb / kPanel + p) * dim + f0) * kPanel;
              float* o = dist.data() + r * kTrainBlock + p * kPanel;
              if (metric == Metric::L1)
                detail::l1_tile(qbuf.data() + r * dim + f0, dim, panel, kc, o, kTrainBlock);
              else
                detail::dot_tile(qbuf.data() + r * dim + f0, dim, panel, kc, o, kTrainBlock);
            }
        }
        // Training rows in index order through each query's heap. A row is skipped only
        // when the lower bound of its distance is not below the heap's root: its exact
        // distance could not enter either. NaN bounds (overflow) are never skipped.
        for (std::size_t i = 0; i < m; ++i) {
          double* hv = heap_v.data() + i * k;
          std::uint32_t* hi = heap_i.data() + i * k;
          const float* d = dist.data() + i * kTrainBlock;
          const float* q = qr.row(qb + i);
          for (std::size_t j = 0; j < tn; ++j) {
            const std::size_t t = tb + j;
            const double approx = static_cast<double>(d[j]);
            double lower;
            if (metric == Metric::L2) {
              const double s = qnorm[i] + norm_[t];
              lower = s - 2.0 * approx - factor * s;
            } else if (metric == Metric::Cosine) {
              lower = 1.0 - approx - factor;
            } else {
              lower = approx - factor * approx;
            }
            if (lower >= hv[0]) continue;
            const float* x = x_.data() + t * dim;
            double exact;
            if (metric == Metric::L2) exact = exact_l2(q, x, dim);
            else if (metric == Metric::L1) exact = exact_l1(q, x, dim);
            else exact = exact_cosine(q, qnorm[i], x, norm_[t], dim);
            heap_push(hv, hi, k, exact, static_cast<std::uint32_t>(t));
          }
        }
      }
      for (std::size_t i = 0; i < m; ++i) {
        for (std::size_t j = 0; j < k; ++j) sorted[j] = {heap_v[i * k + j], heap_i[i * k + j]};
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t j = 0; j < k; ++j) {
          out.index[(qb + i) * k + j] = sorted[j].second;
          out.distance[(qb + i) * k + j] =
              metric == Metric::L2 ? std::sqrt(sorted[j].first) : sorted[j].first;
        }
      }
    }
  };

  const std::size_t blocks = (nq + kQueryBlock - 1) / kQueryBlock;
  std::size_t threads = opt_.threads ? opt_.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, blocks);
  if (threads <= 1) {
    search(0, nq);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) {
      const std::size_t b0 = blocks * t / threads, b1 = blocks * (t + 1) / threads;
      pool.emplace_back(search, b0 * kQueryBlock, std::min(nq, b1 * kQueryBlock));
    }
    for (auto& th : pool) th.join();
  }
  return out;
}

void Knn::vote(const std::uint32_t* idx, const double* dist, double* out) const {
  std::fill(out, out + n_classes_, 0.0);
  const std::size_t k = opt_.k;
  if (opt_.weights == Weights::Uniform) {
    for (std::size_t j = 0; j < k; ++j) out[y_[idx[j]]] += 1.0;
    return;
  }
  // sklearn's _get_weights: 1 / d; a row holding an infinite weight (d == 0) uses
  // weight 1 where infinite and 0 elsewhere.
  bool any_inf = false;
  for (std::size_t j = 0; j < k; ++j) any_inf |= std::isinf(1.0 / dist[j]);
  for (std::size_t j = 0; j < k; ++j) {
    const double w = 1.0 / dist[j];
    out[y_[idx[j]]] += any_inf ? (std::isinf(w) ? 1.0 : 0.0) : w;
  }
}

std::vector<std::int32_t> Knn::predict(const data::Dataset& queries) const {
  const Rows r = rows_of(queries, "knn: queries");
  if (!y_.empty() && r.dim != dim_)
    input_error("knn: queries have {} values per sample, the model was fitted on {}", r.dim,
                dim_);
  return predict(std::span<const float>(queries.x));
}

std::vector<std::int32_t> Knn::predict(std::span<const float> queries) const {
  const Neighbours nb = kneighbors(queries);
  const std::size_t nq = nb.k ? nb.index.size() / nb.k : 0;
  std::vector<std::int32_t> pred(nq);
  std::vector<double> votes(n_classes_);
  for (std::size_t i = 0; i < nq; ++i) {
    vote(nb.index.data() + i * nb.k, nb.distance.data() + i * nb.k, votes.data());
    pred[i] = static_cast<std::int32_t>(argmax(votes));
  }
  return pred;
}

std::vector<double> Knn::predict_proba(std::span<const float> queries) const {
  const Neighbours nb = kneighbors(queries);
  const std::size_t nq = nb.k ? nb.index.size() / nb.k : 0;
  std::vector<double> proba(nq * n_classes_);
  for (std::size_t i = 0; i < nq; ++i) {
    double* v = proba.data() + i * n_classes_;
    vote(nb.index.data() + i * nb.k, nb.distance.data() + i * nb.k, v);
    const double total = std::accumulate(v, v + n_classes_, 0.0);
    for (std::size_t c = 0; c < n_classes_; ++c) v[c] /= total;
  }
  return proba;
}

}  // namespace tinyml::classic
