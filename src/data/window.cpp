#include "tinyml/data/window.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "tinyml/error.hpp"

namespace tinyml::data {

std::string_view to_string(LabelRule r) {
  switch (r) {
    case LabelRule::Majority: return "majority";
    case LabelRule::Last: return "last";
    case LabelRule::AnyPositive: return "any_positive";
  }
  return "?";
}

LabelRule parse_label_rule(std::string_view s) {
  for (auto r : {LabelRule::Majority, LabelRule::Last, LabelRule::AnyPositive})
    if (s == to_string(r)) return r;
  throw std::invalid_argument("expected one of majority, last, any_positive");
}

int LabelMap::index_of(double v) const {
  auto it = std::find(values.begin(), values.end(), v);
  return it == values.end() ? -1 : static_cast<int>(it - values.begin());
}

LabelMap make_label_map(const Table& t, const Columns& cols) {
  LabelMap m;
  if (cols.label.empty()) return m;
  const Column& c = t.at(cols.label);
  if (c.type == ColumnType::Number || c.type == ColumnType::Timestamp)
    input_error("{}: label column '{}' is {}; a label must be an integer or a category",
                t.source, c.name, to_string(c.type));
  std::vector<double> vals;
  for (double v : c.values)
    if (!std::isnan(v)) vals.push_back(v);
  std::sort(vals.begin(), vals.end());
  vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
  if (c.type == ColumnType::Categorical)
    std::sort(vals.begin(), vals.end(),
              [&](double a, double b) { return cell_text(c, a) < cell_text(c, b); });
  m.values = vals;
  if (!cols.class_names.empty()) {
    if (cols.class_names.size() != vals.size())
      input_error("{}: {} class names given but label column '{}' has {} distinct values", t.source,
                  cols.class_names.size(), c.name, vals.size());
    m.names = cols.class_names;
  } else {
    for (double v : vals) m.names.push_back(cell_text(c, v));
  }
  return m;
}

std::vector<std::string> feature_columns(const Table& t, const Columns& cols) {
  if (!cols.features.empty()) {
    for (const auto& f : cols.features) {
      const Column& c = t.at(f);
      if (c.type != ColumnType::Number && c.type != ColumnType::Integer)
        input_error("{}: feature column '{}' is {}; features must be numbers", t.source, f,
                    to_string(c.type));
    }
    return cols.features;
  }
  std::vector<std::string> out;
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    const Column& c = t.columns[i];
    if (static_cast<int>(i) == t.time_column || c.name == cols.label || c.name == cols.group)
      continue;
    if (c.type == ColumnType::Number || c.type == ColumnType::Integer) out.push_back(c.name);
  }
  if (out.empty()) input_error("{}: no number columns to use as features", t.source);
  return out;
}

namespace {
double median_step(const Table& t, const std::vector<std::size_t>& order, int gc) {
  if (t.time_column < 0) return 0;
  const auto& tv = t.columns[t.time_column].values;
  std::vector<double> d;
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (gc >= 0 && t.columns[gc].values[order[i]] != t.columns[gc].values[order[i - 1]]) continue;
    double s = tv[order[i]] - tv[order[i - 1]];
    if (s > 0) d.push_back(s);
  }
  if (d.empty()) return 0;
  std::nth_element(d.begin(), d.begin() + static_cast<long>(d.size() / 2), d.end());
  return d[d.size() / 2];
}
}  // namespace

Dataset make_windows(const Table& t, const Columns& cols, const LabelMap& labels,
                     const WindowOptions& opt, const std::vector<std::int8_t>& part, int which,
                     WindowStats& st) {
  if (opt.length == 0) input_error("window: length must be at least 1");
  if (opt.stride == 0) input_error("window: stride must be at least 1");
  Dataset d;
  d.features = feature_columns(t, cols);
  d.classes = labels.names;
  const std::size_t nf = d.features.size();
  d.shape = opt.length > 1 ? std::vector<std::uint32_t>{static_cast<std::uint32_t>(opt.length),
                                                        static_cast<std::uint32_t>(nf)}
                           : std::vector<std::uint32_t>{static_cast<std::uint32_t>(nf)};
  std::vector<const std::vector<double>*> fv;
  for (const auto& f : d.features) fv.push_back(&t.at(f).values);
  const int gc = cols.group.empty() ? -1 : t.index_of(cols.group);
  const std::vector<double>* lv = cols.label.empty() ? nullptr : &t.at(cols.label).values;
  const std::vector<double>* tv = t.time_column >= 0 ? &t.columns[t.time_column].values : nullptr;
  auto order = order_by_group_time(t, gc, t.time_column);
  double max_gap = opt.max_gap_s > 0 ? opt.max_gap_s : 1.5 * median_step(t, order, gc);

  auto same_segment = [&](std::size_t a, std::size_t b) {
    if (gc >= 0 && t.columns[gc].values[a] != t.columns[gc].values[b]) return false;
    if (tv && max_gap > 0 && (*tv)[b] - (*tv)[a] > max_gap) {
      ++st.gaps;
      return false;
    }
    return true;
  };
  auto emit = [&](std::size_t begin, std::size_t end) {  // positions in `order`
    ++st.segments;
    for (std::size_t s = begin; s + opt.length <= end; s += opt.stride) {
      bool ok = true;
      for (std::size_t k = s; k < s + opt.length && ok; ++k) {
        std::size_t r = order[k];
        for (auto* f : fv)
          if (std::isnan((*f)[r])) ok = false;
        if (lv && labels.index_of((*lv)[r]) < 0) ok = false;
      }
      if (!ok) {
        ++st.skipped_missing;
        continue;
      }
      int y = -1;
      if (lv) {
        std::map<int, std::size_t> count;
        for (std::size_t k = s; k < s + opt.length; ++k) ++count[labels.index_of((*lv)[order[k]])];
        switch (opt.label_rule) {
          case LabelRule::Last: y = labels.index_of((*lv)[order[s + opt.length - 1]]); break;
          case LabelRule::AnyPositive: {
            std::size_t best = 0;
            y = 0;
            for (auto [cls, n] : count)
              if (cls != 0 && n > best) {
                best = n;
                y = cls;
              }
            if (best == 0) y = count.begin()->first;
            break;
          }
          case LabelRule::Majority: {
            std::size_t best = 0;
            for (auto [cls, n] : count)
              if (n > best) {
                best = n;
                y = cls;
              }
            break;
          }
        }
      }
      for (std::size_t k = s; k < s + opt.length; ++k)
        for (auto* f : fv) d.x.push_back(static_cast<float>((*f)[order[k]]));
      d.y.push_back(y);
      double g = gc >= 0 ? t.columns[gc].values[order[s]] : 0.0;
      d.group.push_back(std::isnan(g) ? -1 : static_cast<std::int32_t>(g));
      d.t_begin.push_back(tv ? (*tv)[order[s]] : static_cast<double>(s));
      d.t_end.push_back(tv ? (*tv)[order[s + opt.length - 1]] : static_cast<double>(s + opt.length - 1));
      ++st.windows;
    }
  };
  std::size_t i = 0;
  while (i < order.size()) {
    if (!part.empty() && part[order[i]] != which) {
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    while (j < order.size() && (part.empty() || part[order[j]] == which) &&
           same_segment(order[j - 1], order[j]))
      ++j;
    emit(i, j);
    i = j;
  }
  return d;
}

}  // namespace tinyml::data
