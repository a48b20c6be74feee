#include "tinyml/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "tinyml/error.hpp"

namespace tinyml::data {

std::string_view to_string(SplitMethod m) {
  switch (m) {
    case SplitMethod::Time: return "time";
    case SplitMethod::Group: return "group";
    case SplitMethod::Stratified: return "stratified";
    case SplitMethod::Random: return "random";
  }
  return "?";
}

SplitMethod parse_split_method(std::string_view s) {
  for (auto m : {SplitMethod::Time, SplitMethod::Group, SplitMethod::Stratified, SplitMethod::Random})
    if (s == to_string(m)) return m;
  throw std::invalid_argument("expected one of time, group, stratified, random");
}

std::uint64_t Rng::next() {
  std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t Rng::below(std::uint64_t n) {
  std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    std::uint64_t r = next();
    if (r < limit) return r % n;
  }
}

namespace {

// How many of n items go to each part: train and validation rounded, test the rest.
void part_sizes(std::size_t n, const double (&f)[3], std::size_t out[3]) {
  double total = f[0] + f[1] + f[2];
  out[0] = static_cast<std::size_t>(std::llround(static_cast<double>(n) * f[0] / total));
  out[0] = std::min(out[0], n);
  out[1] = static_cast<std::size_t>(std::llround(static_cast<double>(n) * f[1] / total));
  out[1] = std::min(out[1], n - out[0]);
  out[2] = n - out[0] - out[1];
}

std::string group_text(const Column& c, double v) { return cell_text(c, v); }

}  // namespace

std::vector<std::int8_t> split_rows(const Table& t, const SplitOptions& opt) {
  std::vector<std::int8_t> part(t.rows(), kTrain);
  const int gc = opt.group_column.empty() ? -1 : t.index_of(opt.group_column);
  if (opt.method == SplitMethod::Time) {
    if (t.time_column < 0)
      input_error("{}: split method 'time' needs a time column", t.source);
    auto order = order_by_group_time(t, gc, t.time_column);
    std::size_t i = 0;
    while (i < order.size()) {
      std::size_t j = i;
      while (j < order.size() &&
             (gc < 0 || t.columns[gc].values[order[j]] == t.columns[gc].values[order[i]]))
        ++j;
      std::size_t sizes[3];
      part_sizes(j - i, opt.fractions, sizes);
      for (std::size_t k = i; k < j; ++k) {
        std::size_t rank = k - i;
        part[order[k]] = rank < sizes[0] ? kTrain : rank < sizes[0] + sizes[1] ? kValidation : kTest;
      }
      i = j;
    }
    return part;
  }
  if (opt.method != SplitMethod::Group)
    failure("split_rows handles time and group splits only");
  if (gc < 0) input_error("split method 'group' needs a group column (split.column)");
  const Column& g = t.columns[gc];
  // Distinct groups in a stable order (sorted by value), with their row counts.
  std::map<double, std::size_t> rows_per_group;
  for (double v : g.values) ++rows_per_group[v];
  bool explicit_lists = !opt.groups[0].empty() || !opt.groups[1].empty() || !opt.groups[2].empty();
  std::map<double, std::int8_t> assign;
  if (explicit_lists) {
    std::map<std::string, double> by_text;
    for (auto& [v, n] : rows_per_group) by_text[group_text(g, v)] = v;
    std::set<std::string> listed;
    for (int p = 0; p < 3; ++p)
      for (const auto& name : opt.groups[p]) {
        auto it = by_text.find(name);
        if (it == by_text.end())
          input_error("split: group '{}' listed for {} is not a value of column '{}'", name,
                      kPartNames[p], g.name);
        if (!listed.insert(name).second)
          input_error("split: group '{}' is listed for more than one part", name);
        assign[it->second] = static_cast<std::int8_t>(p);
      }
    for (auto& [v, n] : rows_per_group)
      if (!assign.count(v))
        input_error("split: group '{}' of column '{}' is not listed for any part", group_text(g, v),
                    g.name);
  } else {
    std::vector<double> groups;
    for (auto& [v, n] : rows_per_group) groups.push_back(v);
    if (groups.size() < 3)
      input_error("split: column '{}' has {} groups; a group split needs at least 3", g.name,
                  groups.size());
    Rng rng(opt.seed);
    rng.shuffle(groups);
    // Assign groups in shuffled order until each part's share of rows is reached;
    // every part gets at least one group.
    double total = opt.fractions[0] + opt.fractions[1] + opt.fractions[2];
    std::size_t n = t.rows(), acc = 0;
    std::size_t gi = 0;
    for (int p = 0; p < 3; ++p) {
      double target = static_cast<double>(n) *
                      (p == 0 ? opt.fractions[0] : p == 1 ? opt.fractions[0] + opt.fractions[1] : total) /
                      total;
      std::size_t remaining_parts = static_cast<std::size_t>(2 - p);
      do {
        assign[groups[gi]] = static_cast<std::int8_t>(p);
        acc += rows_per_group[groups[gi]];
        ++gi;
      } while (gi + remaining_parts < groups.size() && static_cast<double>(acc) < target);
      if (p == 2)
        while (gi < groups.size()) assign[groups[gi++]] = 2;
    }
  }
  for (std::size_t r = 0; r < t.rows(); ++r) part[r] = assign[g.values[r]];
  return part;
}

std::vector<std::int8_t> split_samples(const std::vector<std::int32_t>& labels,
                                       const SplitOptions& opt) {
  std::vector<std::int8_t> part(labels.size(), kTrain);
  std::map<std::int32_t, std::vector<std::size_t>> by_class;
  if (opt.method == SplitMethod::Stratified) {
    for (std::size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  } else {
    auto& all = by_class[0];
    for (std::size_t i = 0; i < labels.size(); ++i) all.push_back(i);
  }
  Rng rng(opt.seed);
  for (auto& [cls, idx] : by_class) {
    rng.shuffle(idx);
    std::size_t sizes[3];
    part_sizes(idx.size(), opt.fractions, sizes);
    for (std::size_t k = 0; k < idx.size(); ++k)
      part[idx[k]] = k < sizes[0] ? kTrain : k < sizes[0] + sizes[1] ? kValidation : kTest;
  }
  return part;
}

Dataset select(const Dataset& d, const std::vector<std::int8_t>& part, int which) {
  Dataset o;
  o.shape = d.shape;
  o.features = d.features;
  o.classes = d.classes;
  o.norm = d.norm;
  const std::size_t ss = d.sample_size();
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (part[i] != which) continue;
    o.x.insert(o.x.end(), d.x.begin() + static_cast<long>(i * ss),
               d.x.begin() + static_cast<long>((i + 1) * ss));
    o.y.push_back(d.y[i]);
    o.group.push_back(d.group[i]);
    o.t_begin.push_back(d.t_begin[i]);
    o.t_end.push_back(d.t_end[i]);
  }
  return o;
}

}  // namespace tinyml::data
