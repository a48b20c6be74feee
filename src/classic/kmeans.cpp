#include "tinyml/classic/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tinyml/data/split.hpp"
#include "tinyml/error.hpp"

namespace tinyml::classic {

namespace {

double squared_distance(const float* a, const double* c, std::size_t dim) {
  double s = 0;
  for (std::size_t f = 0; f < dim; ++f) {
    const double t = static_cast<double>(a[f]) - c[f];
    s += t * t;
  }
  return s;
}

double uniform01(data::Rng& rng) { return static_cast<double>(rng.next() >> 11) * 0x1p-53; }

// k-means++: the first centre uniformly, each next one with probability proportional to
// the squared distance to the nearest centre chosen so far.
std::vector<double> seed_centres(const Rows& x, std::size_t k, data::Rng& rng) {
  const std::size_t dim = x.dim;
  std::vector<double> c(k * dim);
  auto take = [&](std::size_t centre, std::size_t row) {
    for (std::size_t f = 0; f < dim; ++f) c[centre * dim + f] = x.row(row)[f];
  };
  take(0, rng.below(x.n));
  std::vector<double> d2(x.n);
  for (std::size_t i = 0; i < x.n; ++i) d2[i] = squared_distance(x.row(i), c.data(), dim);
  for (std::size_t j = 1; j < k; ++j) {
    double total = 0;
    for (double v : d2) total += v;
    std::size_t pick = x.n - 1;
    if (total > 0) {
      const double r = uniform01(rng) * total;
      double acc = 0;
      for (std::size_t i = 0; i < x.n; ++i) {
        acc += d2[i];
        if (r < acc && d2[i] > 0) {
          pick = i;
          break;
        }
      }
      while (d2[pick] == 0 && pick > 0) --pick;  // rounding at the very end of the walk
    } else {
      pick = rng.below(x.n);  // every sample sits on a centre already
    }
    take(j, pick);
    for (std::size_t i = 0; i < x.n; ++i)
      d2[i] = std::min(d2[i], squared_distance(x.row(i), c.data() + j * dim, dim));
  }
  return c;
}

struct Run {
  std::vector<double> centres;
  double inertia = 0;
  std::size_t iterations = 0;
};

Run lloyd(const Rows& x, std::vector<double> c, std::size_t k, const KMeansOptions& opt,
          double tol_abs) {
  const std::size_t dim = x.dim;
  std::vector<std::size_t> label(x.n);
  std::vector<double> d2(x.n), sum(k * dim);
  std::vector<std::size_t> count(k);
  auto assign = [&] {
    double inertia = 0;
    for (std::size_t i = 0; i < x.n; ++i) {
      std::size_t best = 0;
      double bd = std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < k; ++j) {
        const double d = squared_distance(x.row(i), c.data() + j * dim, dim);
        if (d < bd) {
          bd = d;
          best = j;
        }
      }
      label[i] = best;
      d2[i] = bd;
      inertia += bd;
    }
    return inertia;
  };
  Run run;
  for (run.iterations = 1; run.iterations <= opt.max_iter; ++run.iterations) {
    assign();
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < x.n; ++i) {
      ++count[label[i]];
      for (std::size_t f = 0; f < dim; ++f) sum[label[i] * dim + f] += x.row(i)[f];
    }
    double shift = 0;
    for (std::size_t j = 0; j < k; ++j) {
      if (count[j] == 0) {
        // An empty cluster takes the sample farthest from its centre (lowest index on ties).
        std::size_t far = 0;
        for (std::size_t i = 1; i < x.n; ++i)
          if (d2[i] > d2[far]) far = i;
        for (std::size_t f = 0; f < dim; ++f) sum[j * dim + f] = x.row(far)[f];
        count[j] = 1;
        d2[far] = 0;
      }
      for (std::size_t f = 0; f < dim; ++f) {
        const double v = sum[j * dim + f] / static_cast<double>(count[j]);
        shift += (v - c[j * dim + f]) * (v - c[j * dim + f]);
        c[j * dim + f] = v;
      }
    }
    if (shift <= tol_abs) break;
  }
  run.iterations = std::min(run.iterations, opt.max_iter);
  run.inertia = assign();
  run.centres = std::move(c);
  return run;
}

}  // namespace

std::size_t KMeans::nearest(const float* x, double* squared_distance) const {
  std::size_t best = 0;
  double bd = std::numeric_limits<double>::infinity();
  for (std::size_t j = 0; j < k(); ++j) {
    double s = 0;
    for (std::size_t f = 0; f < dim; ++f) {
      const double t = static_cast<double>(x[f]) - static_cast<double>(centroids[j * dim + f]);
      s += t * t;
    }
    if (s < bd) {
      bd = s;
      best = j;
    }
  }
  if (squared_distance) *squared_distance = bd;
  return best;
}

KMeans fit_kmeans(const Rows& x, const KMeansOptions& opt) {
  if (opt.k < 1) input_error("kmeans: k must be at least 1 (got {})", opt.k);
  if (opt.k > x.n) input_error("kmeans: k = {} is larger than the {} samples", opt.k, x.n);
  if (opt.max_iter < 1) input_error("kmeans: max_iter must be at least 1");
  if (opt.n_init < 1) input_error("kmeans: n_init must be at least 1");
  if (!(opt.tol >= 0)) input_error("kmeans: tol must be 0 or more (got {})", opt.tol);
  rows_of(std::span<const float>(x.data, x.n * x.dim), x.dim, "kmeans: data");
  // tol relative to the mean variance of the features.
  double mean_var = 0;
  for (std::size_t f = 0; f < x.dim; ++f) {
    double m = 0, m2 = 0;
    for (std::size_t i = 0; i < x.n; ++i) m += x.row(i)[f];
    m /= static_cast<double>(x.n);
    for (std::size_t i = 0; i < x.n; ++i) m2 += (x.row(i)[f] - m) * (x.row(i)[f] - m);
    mean_var += m2 / static_cast<double>(x.n);
  }
  mean_var /= static_cast<double>(x.dim);
  data::Rng rng(opt.seed);
  Run best;
  best.inertia = std::numeric_limits<double>::infinity();
  for (std::size_t r = 0; r < opt.n_init; ++r) {
    Run run = lloyd(x, seed_centres(x, opt.k, rng), opt.k, opt, opt.tol * mean_var);
    if (run.inertia < best.inertia || best.centres.empty()) best = std::move(run);
  }
  KMeans m;
  m.dim = x.dim;
  m.centroids.resize(best.centres.size());
  for (std::size_t i = 0; i < best.centres.size(); ++i)
    m.centroids[i] = static_cast<float>(best.centres[i]);
  m.iterations = best.iterations;
  m.inertia = 0;
  for (std::size_t i = 0; i < x.n; ++i) {
    double d;
    m.nearest(x.row(i), &d);
    m.inertia += d;
  }
  return m;
}

KMeans fit_kmeans(const data::Dataset& d, const KMeansOptions& opt) {
  return fit_kmeans(rows_of(d, "kmeans: data"), opt);
}

}  // namespace tinyml::classic
