#include "tinyml/classic/common.hpp"

#include <algorithm>
#include <cmath>

#include "tinyml/error.hpp"

namespace tinyml::classic {

Rows rows_of(std::span<const float> x, std::size_t dim, std::string_view what) {
  if (dim == 0) input_error("{}: samples have no values (sample size 0)", what);
  if (x.size() % dim != 0)
    input_error("{}: {} values are not a whole number of samples of {} values", what, x.size(),
                dim);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      input_error("{}: sample {} feature {} is not a finite number", what, i / dim, i % dim);
  return Rows{x.data(), x.size() / dim, dim};
}

Rows rows_of(const data::Dataset& d, std::string_view what) {
  const std::size_t dim = d.sample_size();
  if (d.x.size() != d.size() * dim)
    input_error("{}: x holds {} values, expected {} samples x {} values", what, d.x.size(),
                d.size(), dim);
  return rows_of(std::span<const float>(d.x), dim, what);
}

std::size_t checked_class_count(const data::Dataset& d, std::string_view what) {
  if (d.size() == 0) input_error("{}: no samples", what);
  std::int32_t top = -1;
  for (std::size_t i = 0; i < d.y.size(); ++i) {
    if (d.y[i] < 0) input_error("{}: sample {} has no label (y = {})", what, i, d.y[i]);
    if (!d.classes.empty() && static_cast<std::size_t>(d.y[i]) >= d.classes.size())
      input_error("{}: sample {} has class {} but there are {} class names", what, i, d.y[i],
                  d.classes.size());
    top = std::max(top, d.y[i]);
  }
  return d.classes.empty() ? static_cast<std::size_t>(top) + 1 : d.classes.size();
}

double accuracy(std::span<const std::int32_t> predicted, std::span<const std::int32_t> truth) {
  if (predicted.size() != truth.size())
    input_error("accuracy: {} predictions for {} labels", predicted.size(), truth.size());
  if (truth.empty()) input_error("accuracy: no labels");
  std::size_t ok = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) ok += predicted[i] == truth[i];
  return static_cast<double>(ok) / static_cast<double>(truth.size());
}

data::Dataset subset(const data::Dataset& d, std::span<const std::size_t> indices) {
  data::Dataset o;
  o.shape = d.shape;
  o.features = d.features;
  o.classes = d.classes;
  o.norm = d.norm;
  const std::size_t ss = d.sample_size();
  o.x.reserve(indices.size() * ss);
  const bool groups = d.group.size() == d.size(), times = d.t_begin.size() == d.size() && d.t_end.size() == d.size();
  for (std::size_t i : indices) {
    o.x.insert(o.x.end(), d.x.begin() + static_cast<std::ptrdiff_t>(i * ss),
               d.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * ss));
    o.y.push_back(d.y.at(i));
    if (groups) o.group.push_back(d.group[i]);
    if (times) {
      o.t_begin.push_back(d.t_begin[i]);
      o.t_end.push_back(d.t_end[i]);
    }
  }
  return o;
}

std::size_t argmax(std::span<const double> v) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < v.size(); ++i)
    if (v[i] > v[best]) best = i;
  return best;
}

}  // namespace tinyml::classic
