#include "tinyml/data/merge.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/error.hpp"

namespace tinyml::data {

std::string_view to_string(MergeMethod m) {
  switch (m) {
    case MergeMethod::Concat: return "concat";
    case MergeMethod::Join: return "join";
    case MergeMethod::Resample: return "resample";
  }
  return "?";
}
MergeMethod parse_merge_method(std::string_view s) {
  for (auto m : {MergeMethod::Concat, MergeMethod::Join, MergeMethod::Resample})
    if (s == to_string(m)) return m;
  throw std::invalid_argument("expected one of concat, join, resample");
}
std::string_view to_string(Aggregate a) {
  switch (a) {
    case Aggregate::Mean: return "mean";
    case Aggregate::Last: return "last";
    case Aggregate::Linear: return "linear";
  }
  return "?";
}
Aggregate parse_aggregate(std::string_view s) {
  for (auto a : {Aggregate::Mean, Aggregate::Last, Aggregate::Linear})
    if (s == to_string(a)) return a;
  throw std::invalid_argument("expected one of mean, last, linear");
}

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Column empty_like(const Column& c) {
  Column n;
  n.name = c.name;
  n.type = c.type;
  n.categories = c.categories;
  n.time_format = c.time_format;
  n.index_period_s = c.index_period_s;
  n.iso_has_zone = c.iso_has_zone;
  return n;
}

// Appends `src` to `dst`, remapping categorical codes by category text.
void append_column(Column& dst, const Column& src, const std::string& src_name) {
  if (dst.type == ColumnType::Categorical || src.type == ColumnType::Categorical) {
    if (dst.type != src.type)
      input_error("merge: column '{}' is {} in one source and {} in '{}'", dst.name,
                  to_string(dst.type), to_string(src.type), src_name);
    std::map<std::string, double> code;
    for (std::size_t i = 0; i < dst.categories.size(); ++i)
      code[dst.categories[i]] = static_cast<double>(i);
    for (double v : src.values) {
      if (std::isnan(v)) {
        dst.values.push_back(kNaN);
        continue;
      }
      const std::string& s = src.categories[static_cast<std::size_t>(v)];
      auto it = code.find(s);
      if (it == code.end()) {
        it = code.emplace(s, static_cast<double>(dst.categories.size())).first;
        dst.categories.push_back(s);
      }
      dst.values.push_back(it->second);
    }
    return;
  }
  if ((dst.type == ColumnType::Timestamp) != (src.type == ColumnType::Timestamp))
    input_error("merge: column '{}' is {} in one source and {} in '{}'", dst.name,
                to_string(dst.type), to_string(src.type), src_name);
  if (dst.type == ColumnType::Integer && src.type == ColumnType::Number) dst.type = ColumnType::Number;
  dst.values.insert(dst.values.end(), src.values.begin(), src.values.end());
}

Table concat(std::vector<NamedTable>& src, const MergeOptions& opt, MergeReport& rep) {
  Table out;
  out.source = "merged sources";
  const Table& first = src.front().table;
  for (const auto& c : first.columns) out.columns.push_back(empty_like(c));
  out.time_column = first.time_column;
  for (auto& s : src) {
    const Table& t = s.table;
    if (t.columns.size() != first.columns.size() ||
        std::any_of(t.columns.begin(), t.columns.end(),
                    [&](const Column& c) { return first.find(c.name) < 0; }))
      input_error("merge (concat): source '{}' has columns [{}] but '{}' has [{}]; concatenated "
                  "sources need the same columns",
                  s.name, t.column_list(), src.front().name, first.column_list());
    if (t.time_column >= 0 && first.time_column >= 0 &&
        t.columns[t.time_column].name != first.columns[first.time_column].name)
      input_error("merge (concat): source '{}' uses '{}' as time but '{}' uses '{}'", s.name,
                  t.columns[t.time_column].name, src.front().name,
                  first.columns[first.time_column].name);
    for (auto& c : out.columns) append_column(c, t.at(c.name), s.name);
    rep.sources.push_back({s.name, t.rows(), t.rows(), 0});
  }
  if (!opt.source_column.empty()) {
    if (out.find(opt.source_column) >= 0)
      input_error("merge: source_column '{}' clashes with a column of the data",
                  opt.source_column);
    Column sc;
    sc.name = opt.source_column;
    sc.type = ColumnType::Categorical;
    for (std::size_t i = 0; i < src.size(); ++i) {
      sc.categories.push_back(src[i].name);
      sc.values.insert(sc.values.end(), src[i].table.rows(), static_cast<double>(i));
    }
    out.columns.push_back(std::move(sc));
  }
  return out;
}

// For each base row, the row of `other` nearest in time (same group) within tolerance.
Table join(std::vector<NamedTable>& src, const MergeOptions& opt, MergeReport& rep,
           double tolerance) {
  Table out = src.front().table;
  out.source = "merged sources";
  if (out.time_column < 0)
    input_error("merge (join): source '{}' has no time column; set time_column for it",
                src.front().name);
  const int bg = opt.group_column.empty() ? -1 : out.index_of(opt.group_column);
  rep.sources.push_back({src.front().name, out.rows(), out.rows(), 0});
  const auto& bt = out.columns[out.time_column].values;
  for (std::size_t si = 1; si < src.size(); ++si) {
    const Table& o = src[si].table;
    if (o.time_column < 0)
      input_error("merge (join): source '{}' has no time column; set time_column for it",
                  src[si].name);
    const int og = bg >= 0 ? o.index_of(opt.group_column) : -1;
    auto order = order_by_group_time(o, og, o.time_column);
    const auto& ot = o.columns[o.time_column].values;
    // Group value -> [begin, end) in `order`.
    std::map<double, std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t i = 0; i < order.size();) {
      double g = og >= 0 ? o.columns[og].values[order[i]] : 0.0;
      std::size_t j = i;
      while (j < order.size() && (og < 0 || o.columns[og].values[order[j]] == g)) ++j;
      ranges[g] = {i, j};
      i = j;
    }
    std::vector<std::size_t> match(out.rows(), SIZE_MAX);
    std::size_t unmatched = 0;
    std::vector<char> used(o.rows(), 0);
    for (std::size_t r = 0; r < out.rows(); ++r) {
      double g = bg >= 0 ? out.columns[bg].values[r] : 0.0;
      auto it = ranges.find(g);
      if (it == ranges.end() || std::isnan(bt[r])) {
        ++unmatched;
        continue;
      }
      auto [b, e] = it->second;
      auto lo = std::lower_bound(order.begin() + static_cast<long>(b),
                                 order.begin() + static_cast<long>(e), bt[r],
                                 [&](std::size_t k, double v) { return ot[k] < v; });
      std::size_t best = SIZE_MAX;
      double best_d = std::numeric_limits<double>::infinity();
      for (auto cand : {lo, lo == order.begin() + static_cast<long>(b) ? lo : lo - 1}) {
        if (cand == order.begin() + static_cast<long>(e)) continue;
        double d = std::fabs(ot[*cand] - bt[r]);
        if (d < best_d) {
          best_d = d;
          best = *cand;
        }
      }
      if (best != SIZE_MAX && best_d <= tolerance) {
        match[r] = best;
        used[best] = 1;
      } else {
        ++unmatched;
      }
    }
    for (std::size_t c = 0; c < o.columns.size(); ++c) {
      if (static_cast<int>(c) == o.time_column || static_cast<int>(c) == og) continue;
      Column nc = empty_like(o.columns[c]);
      if (out.find(nc.name) >= 0) {
        std::string renamed = src[si].name + "_" + nc.name;
        rep.renamed.push_back(fmt::format("{}.{} -> {}", src[si].name, nc.name, renamed));
        nc.name = renamed;
        if (out.find(nc.name) >= 0)
          input_error("merge (join): column '{}' of source '{}' clashes even after renaming",
                      o.columns[c].name, src[si].name);
      }
      nc.values.resize(out.rows());
      for (std::size_t r = 0; r < out.rows(); ++r)
        nc.values[r] = match[r] == SIZE_MAX ? kNaN : o.columns[c].values[match[r]];
      out.columns.push_back(std::move(nc));
    }
    rep.sources.push_back({src[si].name, o.rows(),
                           static_cast<std::size_t>(std::count(used.begin(), used.end(), 1)),
                           unmatched});
  }
  return out;
}

}  // namespace

Table resample(const Table& t, double period, Aggregate agg, int group_col,
               std::size_t* rows_used, std::size_t* empty_bins,
               const std::vector<std::string>& labels) {
  if (t.time_column < 0) input_error("{}: cannot resample a table without a time column", t.source);
  if (!(period > 0)) input_error("resample: period_s must be positive");
  auto order = order_by_group_time(t, group_col, t.time_column);
  const auto& tv = t.columns[t.time_column].values;
  Table out;
  out.source = t.source;
  out.time_column = t.time_column;
  for (const auto& c : t.columns) out.columns.push_back(empty_like(c));
  std::vector<char> numeric(t.columns.size(), 0);
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    const Column& col = t.columns[c];
    numeric[c] = (col.type == ColumnType::Number || col.type == ColumnType::Integer) &&
                 std::find(labels.begin(), labels.end(), col.name) == labels.end();
    if (numeric[c] && agg != Aggregate::Last) out.columns[c].type = ColumnType::Number;
  }
  std::size_t used = 0, empty = 0;
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    double g = group_col >= 0 ? t.columns[group_col].values[order[i]] : 0.0;
    while (j < order.size() &&
           (group_col < 0 || t.columns[group_col].values[order[j]] == g ||
            (std::isnan(g) && std::isnan(t.columns[group_col].values[order[j]]))))
      ++j;
    // Skip rows without time.
    std::size_t b = i;
    while (b < j && std::isnan(tv[order[b]])) ++b;
    std::size_t e = j;
    while (e > b && std::isnan(tv[order[e - 1]])) --e;
    if (b < e) {
      double t0 = std::floor(tv[order[b]] / period) * period;
      double tl = tv[order[e - 1]];
      auto nbins = static_cast<std::size_t>(std::floor((tl - t0) / period)) + 1;
      std::size_t k = b;
      for (std::size_t bin = 0; bin < nbins; ++bin) {
        double bs = t0 + static_cast<double>(bin) * period, be = bs + period;
        std::size_t kb = k;
        while (k < e && tv[order[k]] < be) ++k;
        std::size_t ke = k;
        if (kb == ke && agg != Aggregate::Linear) ++empty;
        used += ke - kb;
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
          const auto& v = t.columns[c].values;
          double val = kNaN;
          if (static_cast<int>(c) == t.time_column) {
            val = bs;
          } else if (static_cast<int>(c) == group_col) {
            val = g;
          } else if (numeric[c] && agg == Aggregate::Mean) {
            double s = 0;
            std::size_t n = 0;
            for (std::size_t q = kb; q < ke; ++q)
              if (!std::isnan(v[order[q]])) {
                s += v[order[q]];
                ++n;
              }
            if (n) val = s / static_cast<double>(n);
          } else if (numeric[c] && agg == Aggregate::Linear) {
            // Value at the bin start, linear between the known readings around it.
            std::size_t after = kb;
            while (after < e && std::isnan(v[order[after]])) ++after;
            std::size_t before = kb;
            bool have_before = false;
            while (before > b) {
              --before;
              if (!std::isnan(v[order[before]])) {
                have_before = true;
                break;
              }
            }
            if (after < e && tv[order[after]] == bs) {
              val = v[order[after]];
            } else if (have_before && after < e) {
              double ta = tv[order[before]], tb = tv[order[after]];
              double f = tb > ta ? (bs - ta) / (tb - ta) : 0.0;
              val = v[order[before]] + (v[order[after]] - v[order[before]]) * f;
            }
          } else {
            // Last, and every non-number column: the last reading in the bin.
            for (std::size_t q = ke; q > kb; --q)
              if (!std::isnan(v[order[q - 1]])) {
                val = v[order[q - 1]];
                break;
              }
          }
          out.columns[c].values.push_back(val);
        }
      }
    }
    i = j;
  }
  if (rows_used) *rows_used = used;
  if (empty_bins) *empty_bins = empty;
  return out;
}

Table merge(std::vector<NamedTable> src, const MergeOptions& opt, MergeReport& rep) {
  rep = MergeReport{};
  rep.method = std::string(to_string(opt.method));
  if (src.empty()) input_error("merge: no sources");
  Table out;
  if (opt.method == MergeMethod::Concat) {
    out = concat(src, opt, rep);
  } else if (opt.method == MergeMethod::Join) {
    out = join(src, opt, rep, opt.tolerance_s);
  } else {
    std::vector<std::size_t> used(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
      Table& t = src[i].table;
      int g = opt.group_column.empty() ? -1 : t.index_of(opt.group_column);
      std::size_t empty = 0;
      t = resample(t, opt.period_s, opt.aggregate, g, &used[i], &empty, opt.label_columns);
      rep.empty_bins += empty;
    }
    if (src.size() == 1) {
      out = src.front().table;
      rep.sources.push_back({src.front().name, used[0], used[0], 0});
    } else {
      // After resampling all sources share the bin times: join them exactly.
      out = join(src, opt, rep, opt.period_s * 1e-6);
      for (std::size_t i = 0; i < src.size(); ++i) rep.sources[i].matched = used[i];
    }
  }
  rep.rows_out = out.rows();
  return out;
}

std::string MergeReport::text() const {
  std::string s;
  auto out = std::back_inserter(s);
  fmt::format_to(out, "merge ({}): {} rows out\n", method, rows_out);
  for (const auto& src : sources) {
    fmt::format_to(out, "  source '{}': {} rows", src.name, src.rows);
    if (method == "join" && src.unmatched)
      fmt::format_to(out, ", {} base rows without a match (cells left missing)", src.unmatched);
    if (method == "join") fmt::format_to(out, ", {} rows used", src.matched);
    if (method == "resample") fmt::format_to(out, ", {} rows fell into bins", src.matched);
    fmt::format_to(out, "\n");
  }
  if (method == "resample")
    fmt::format_to(out, "  empty bins (cells left missing for cleaning): {}\n", empty_bins);
  for (const auto& r : renamed) fmt::format_to(out, "  renamed {}\n", r);
  return s;
}

nlohmann::json MergeReport::json() const {
  nlohmann::json j;
  j["method"] = method;
  j["rows_out"] = rows_out;
  j["empty_bins"] = empty_bins;
  j["renamed"] = renamed;
  j["sources"] = nlohmann::json::array();
  for (const auto& s : sources)
    j["sources"].push_back(
        {{"name", s.name}, {"rows", s.rows}, {"matched", s.matched}, {"unmatched", s.unmatched}});
  return j;
}

}  // namespace tinyml::data
