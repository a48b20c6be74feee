#include "tinyml/classic/sklearn_data.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tinyml/data/csv.hpp"
#include "tinyml/data/sources.hpp"
#include "tinyml/classic/common.hpp"
#include "tinyml/error.hpp"

namespace tinyml::classic {

namespace {

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

bool is_count(std::string_view s, std::size_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size() && v > 0;
}

bool is_number(std::string_view s) {
  double v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

data::Dataset read_sklearn_csv(const std::filesystem::path& path) {
  const std::string text = data::read_maybe_gzip(path);
  const std::string name = path.string();
  std::string_view first(text);
  first = first.substr(0, first.find('\n'));
  if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
  const auto head = split_fields(first);
  // A header is "n_samples,n_features,name,...": two counts, then names that are not all
  // numbers (a data row of digits starts with pixel values and has only numbers).
  std::size_t n_samples = 0, n_features = 0;
  bool header = head.size() >= 3 && is_count(head[0], n_samples) && is_count(head[1], n_features) &&
                !std::all_of(head.begin() + 2, head.end(), is_number);

  data::CsvOptions opt;
  opt.skip_rows = header ? 1 : 0;
  opt.header = false;
  const data::Table t = data::parse_csv(text, name, opt);
  if (t.columns.size() < 2)
    input_error("{}: expected feature columns and a label column, found {} column(s)", name,
                t.columns.size());
  const std::size_t dim = t.columns.size() - 1, n = t.rows();
  if (header && (n != n_samples || dim != n_features))
    input_error("{}: the first line announces {} samples x {} features, the file has {} x {}",
                name, n_samples, n_features, n, dim);

  data::Dataset d;
  d.shape = {static_cast<std::uint32_t>(dim)};
  for (std::size_t f = 0; f < dim; ++f) d.features.push_back(t.columns[f].name);
  d.x.resize(n * dim);
  d.y.resize(n);
  d.group.assign(n, 0);
  d.t_begin.assign(n, std::numeric_limits<double>::quiet_NaN());
  d.t_end = d.t_begin;
  const auto& label = t.columns.back().values;
  std::int32_t top = -1;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t f = 0; f < dim; ++f) {
      const double v = t.columns[f].values[i];
      if (std::isnan(v)) input_error("{}: row {} column {} is missing", name, i + 1, f + 1);
      d.x[i * dim + f] = static_cast<float>(v);
    }
    const double l = label[i];
    if (!(l >= 0 && l < 65536 && l == std::floor(l)))
      input_error("{}: row {}: label {} is not a class index", name, i + 1, t.columns.back().text(i));
    d.y[i] = static_cast<std::int32_t>(l);
    top = std::max(top, d.y[i]);
  }
  if (header) {
    for (std::size_t c = 2; c < head.size(); ++c) d.classes.emplace_back(head[c]);
    if (static_cast<std::size_t>(top) >= d.classes.size())
      input_error("{}: label {} but only {} class names", name, top, d.classes.size());
  } else {
    for (std::int32_t c = 0; c <= top; ++c) d.classes.push_back(std::to_string(c));
  }
  return d;
}

std::pair<data::Dataset, data::Dataset> split_every(const data::Dataset& d, std::size_t every) {
  if (every < 2) input_error("split_every: every must be at least 2 (got {})", every);
  std::vector<std::size_t> train, test;
  for (std::size_t i = 0; i < d.size(); ++i) (i % every == every - 1 ? test : train).push_back(i);
  return {subset(d, train), subset(d, test)};
}

}  // namespace tinyml::classic
