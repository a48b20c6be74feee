#include "tinyml/data/clean.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinyml/error.hpp"

namespace tinyml::data {

std::string_view to_string(MissingMethod m) {
  switch (m) {
    case MissingMethod::Keep: return "keep";
    case MissingMethod::DropRow: return "drop";
    case MissingMethod::Mean: return "mean";
    case MissingMethod::Median: return "median";
    case MissingMethod::Constant: return "constant";
    case MissingMethod::ForwardFill: return "ffill";
    case MissingMethod::Interpolate: return "interpolate";
  }
  return "?";
}

MissingMethod parse_missing_method(std::string_view s) {
  for (auto m : {MissingMethod::Keep, MissingMethod::DropRow, MissingMethod::Mean,
                 MissingMethod::Median, MissingMethod::Constant, MissingMethod::ForwardFill,
                 MissingMethod::Interpolate})
    if (s == to_string(m)) return m;
  throw std::invalid_argument(
      "expected one of keep, drop, mean, median, constant, ffill, interpolate");
}

std::string_view to_string(RepeatedTime r) {
  switch (r) {
    case RepeatedTime::Keep: return "keep";
    case RepeatedTime::First: return "first";
    case RepeatedTime::Last: return "last";
    case RepeatedTime::Mean: return "mean";
  }
  return "?";
}

RepeatedTime parse_repeated_time(std::string_view s) {
  for (auto r : {RepeatedTime::Keep, RepeatedTime::First, RepeatedTime::Last, RepeatedTime::Mean})
    if (s == to_string(r)) return r;
  throw std::invalid_argument("expected one of keep, first, last, mean");
}

std::string_view to_string(OutlierMethod m) {
  switch (m) {
    case OutlierMethod::None: return "none";
    case OutlierMethod::Percentile: return "percentile";
    case OutlierMethod::ZScore: return "zscore";
  }
  return "?";
}

OutlierMethod parse_outlier_method(std::string_view s) {
  for (auto m : {OutlierMethod::None, OutlierMethod::Percentile, OutlierMethod::ZScore})
    if (s == to_string(m)) return m;
  throw std::invalid_argument("expected one of none, percentile, zscore");
}

double percentile(std::vector<double> v, double p) {
  std::erase_if(v, [](double x) { return std::isnan(x); });
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(pos));
  std::size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

namespace {

std::uint64_t cell_bits(double v) {
  if (std::isnan(v)) return 0x7ff8000000000000ULL;
  if (v == 0.0) return 0;  // +0 and -0 are the same value
  return std::bit_cast<std::uint64_t>(v);
}

std::uint64_t mix(std::uint64_t h, std::uint64_t x) {
  x *= 0x9E3779B97F4A7C15ULL;
  x ^= x >> 32;
  h ^= x;
  h *= 0xBF58476D1CE4E5B9ULL;
  return h ^ (h >> 29);
}

// Marks rows equal (in the given columns) to an earlier row. Open addressing over row hashes.
std::vector<char> mark_repeats(const Table& t, const std::vector<int>& cols) {
  const std::size_t n = t.rows();
  std::vector<std::uint64_t> h(n, 0x12345678ULL);
  for (int c : cols) {
    const auto& v = t.columns[c].values;
    for (std::size_t r = 0; r < n; ++r) h[r] = mix(h[r], cell_bits(v[r]));
  }
  std::size_t cap = 16;
  while (cap < n * 2) cap <<= 1;
  std::vector<std::uint32_t> slot(cap, 0);  // row index + 1; 0 is empty
  std::vector<char> repeat(n, 0);
  auto equal = [&](std::size_t a, std::size_t b) {
    for (int c : cols) {
      const auto& v = t.columns[c].values;
      if (cell_bits(v[a]) != cell_bits(v[b])) return false;
    }
    return true;
  };
  for (std::size_t r = 0; r < n; ++r) {
    std::size_t i = h[r] & (cap - 1);
    for (;;) {
      std::uint32_t s = slot[i];
      if (s == 0) {
        slot[i] = static_cast<std::uint32_t>(r + 1);
        break;
      }
      if (h[s - 1] == h[r] && equal(s - 1, r)) {
        repeat[r] = 1;
        break;
      }
      i = (i + 1) & (cap - 1);
    }
  }
  return repeat;
}

std::vector<std::size_t> kept_rows(const std::vector<char>& drop) {
  std::vector<std::size_t> keep;
  keep.reserve(drop.size());
  for (std::size_t i = 0; i < drop.size(); ++i)
    if (!drop[i]) keep.push_back(i);
  return keep;
}

// Segments of consecutive rows sharing a group value: [begin, end) pairs.
std::vector<std::pair<std::size_t, std::size_t>> group_runs(const Table& t, int group_col) {
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  const std::size_t n = t.rows();
  std::size_t b = 0;
  for (std::size_t r = 1; r <= n; ++r) {
    bool cut = r == n;
    if (!cut && group_col >= 0) {
      double a = t.columns[group_col].values[r - 1], c = t.columns[group_col].values[r];
      cut = cell_bits(a) != cell_bits(c);
    }
    if (cut) {
      if (r > b) runs.emplace_back(b, r);
      b = r;
    }
  }
  return runs;
}

}  // namespace

Table clean(Table t, const CleanOptions& opt, CleanReport& rep) {
  rep = CleanReport{};
  rep.rows_in = t.rows();
  const int group_col = opt.group_column.empty() ? -1 : t.index_of(opt.group_column);
  for (const auto& [name, rule] : opt.missing) t.index_of(name);  // names must exist
  for (const auto& name : opt.outlier_columns) t.index_of(name);

  // 1. Exact duplicate rows.
  std::vector<int> all_cols(t.columns.size());
  std::iota(all_cols.begin(), all_cols.end(), 0);
  if (opt.drop_duplicates && t.rows() > 0) {
    auto dup = mark_repeats(t, all_cols);
    auto keep = kept_rows(dup);
    rep.duplicates_removed = t.rows() - keep.size();
    if (rep.duplicates_removed) t = take_rows(t, keep);
  }
  if (t.time_column >= 0 && t.rows() > 0) {
    std::vector<int> no_time;
    for (int c : all_cols)
      if (c != t.time_column) no_time.push_back(c);
    if (!no_time.empty()) {
      auto rep_vals = mark_repeats(t, no_time);
      rep.repeated_values_kept =
          static_cast<std::size_t>(std::count(rep_vals.begin(), rep_vals.end(), 1));
    }
  }

  // 2. Order by group and time; rows without a time cannot be placed and are dropped.
  if (t.time_column >= 0) {
    const auto& tv = t.columns[t.time_column].values;
    std::vector<char> no_time(t.rows(), 0);
    for (std::size_t r = 0; r < t.rows(); ++r) no_time[r] = std::isnan(tv[r]) ? 1 : 0;
    auto keep = kept_rows(no_time);
    rep.missing_time_dropped = t.rows() - keep.size();
    if (rep.missing_time_dropped) t = take_rows(t, keep);
    // Most files are already in order: check that before sorting.
    const auto& tk = t.columns[t.time_column].values;  // t may have been replaced above
    bool sorted = true;
    for (std::size_t r = 1; r < t.rows() && sorted; ++r) {
      double ga = group_col >= 0 ? t.columns[group_col].values[r - 1] : 0.0;
      double gb = group_col >= 0 ? t.columns[group_col].values[r] : 0.0;
      if (std::isnan(ga) || std::isnan(gb)) sorted = false;
      else if (ga != gb) sorted = ga < gb;
      else sorted = tk[r - 1] <= tk[r];
    }
    if (!sorted) t = take_rows(t, order_by_group_time(t, group_col, t.time_column));
  } else if (group_col >= 0) {
    auto order = order_by_group_time(t, group_col, -1);
    t = take_rows(t, order);
  }

  // Measurement columns: numbers and integers that are neither the group nor a label.
  auto is_measure = [&](std::size_t c) {
    const Column& col = t.columns[c];
    return (col.type == ColumnType::Number || col.type == ColumnType::Integer) &&
           static_cast<int>(c) != group_col && static_cast<int>(c) != t.time_column &&
           std::find(opt.label_columns.begin(), opt.label_columns.end(), col.name) ==
               opt.label_columns.end();
  };
  auto settle_type = [](Column& col) {
    if (col.type != ColumnType::Integer) return;
    for (double x : col.values)
      if (!std::isnan(x) && x != std::floor(x)) {
        col.type = ColumnType::Number;
        return;
      }
  };

  // 3. Repeated timestamps within a group.
  if (t.time_column >= 0 && opt.repeated_timestamps != RepeatedTime::Keep && t.rows() > 1) {
    const auto& tv = t.columns[t.time_column].values;
    std::vector<char> drop(t.rows(), 0);
    auto runs = group_runs(t, group_col);
    for (auto [b, e] : runs) {
      std::size_t i = b;
      while (i < e) {
        std::size_t j = i + 1;
        while (j < e && tv[j] == tv[i]) ++j;
        if (j - i > 1) {
          std::size_t keep = opt.repeated_timestamps == RepeatedTime::Last ? j - 1 : i;
          if (opt.repeated_timestamps == RepeatedTime::Mean) {
            for (std::size_t ci = 0; ci < t.columns.size(); ++ci) {
              if (!is_measure(ci)) continue;
              Column& c = t.columns[ci];
              double s = 0;
              std::size_t k = 0;
              for (std::size_t r = i; r < j; ++r)
                if (!std::isnan(c.values[r])) {
                  s += c.values[r];
                  ++k;
                }
              c.values[keep] = k ? s / static_cast<double>(k) : std::nan("");
            }
          }
          for (std::size_t r = i; r < j; ++r)
            if (r != keep) drop[r] = 1;
          rep.repeated_timestamps_merged += j - i - 1;
        }
        i = j;
      }
    }
    if (rep.repeated_timestamps_merged) t = take_rows(t, kept_rows(drop));
    for (auto& c : t.columns) settle_type(c);
  }

  // 4. Outliers, before imputation so that fills are not pulled by them.
  if (opt.outliers != OutlierMethod::None) {
    std::vector<int> cols;
    if (opt.outlier_columns.empty()) {
      for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (is_measure(c)) cols.push_back(static_cast<int>(c));
    } else {
      for (const auto& n : opt.outlier_columns) cols.push_back(t.index_of(n));
    }
    for (int c : cols) {
      auto& v = t.columns[c].values;
      double lo, hi;
      if (opt.outliers == OutlierMethod::Percentile) {
        lo = percentile(v, opt.low_percentile);
        hi = percentile(v, opt.high_percentile);
      } else {
        double s = 0, s2 = 0;
        std::size_t k = 0;
        for (double x : v)
          if (!std::isnan(x)) {
            s += x;
            ++k;
          }
        double mean = k ? s / static_cast<double>(k) : 0;
        for (double x : v)
          if (!std::isnan(x)) s2 += (x - mean) * (x - mean);
        double sd = k > 1 ? std::sqrt(s2 / static_cast<double>(k - 1)) : 0;
        lo = mean - opt.z * sd;
        hi = mean + opt.z * sd;
      }
      std::size_t clipped = 0;
      for (double& x : v) {
        if (std::isnan(x)) continue;
        if (x < lo) {
          x = lo;
          ++clipped;
        } else if (x > hi) {
          x = hi;
          ++clipped;
        }
      }
      settle_type(t.columns[c]);
      rep.outliers.push_back({t.columns[c].name, lo, hi, clipped});
    }
  }

  // 5. Missing values, column by column.
  std::vector<char> drop(t.rows(), 0);
  const double* time = t.time_column >= 0 ? t.columns[t.time_column].values.data() : nullptr;
  auto pos = [&](std::size_t r) { return time ? time[r] : static_cast<double>(r); };
  auto runs = group_runs(t, group_col);
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    Column& col = t.columns[c];
    if (static_cast<int>(c) == t.time_column) continue;
    MissingRule rule;
    bool explicit_rule = false;
    if (auto it = opt.missing.find(col.name); it != opt.missing.end()) {
      rule = it->second;
      explicit_rule = true;
    } else if (is_measure(c)) {
      rule = opt.missing_default;
    }
    std::size_t miss = col.missing_count();
    if (miss == 0) continue;
    CleanReport::ColumnMissing cm{col.name, std::string(to_string(rule.method)), miss, 0, 0, 0};
    bool numeric = col.type == ColumnType::Number || col.type == ColumnType::Integer;
    if (explicit_rule && !numeric &&
        (rule.method == MissingMethod::Mean || rule.method == MissingMethod::Median ||
         rule.method == MissingMethod::Interpolate || rule.method == MissingMethod::Constant))
      input_error("{}: column '{}' is {}: missing values there can only be kept, dropped or "
                  "forward-filled, not '{}'",
                  t.source, col.name, to_string(col.type), to_string(rule.method));
    auto& v = col.values;
    switch (rule.method) {
      case MissingMethod::Keep: break;
      case MissingMethod::DropRow:
        for (std::size_t r = 0; r < v.size(); ++r)
          if (std::isnan(v[r]) && !drop[r]) {
            drop[r] = 1;
            ++cm.rows_dropped;
          }
        break;
      case MissingMethod::Mean:
      case MissingMethod::Median:
      case MissingMethod::Constant: {
        double fill = rule.constant;
        if (rule.method == MissingMethod::Mean) {
          double s = 0;
          std::size_t k = 0;
          for (double x : v)
            if (!std::isnan(x)) {
              s += x;
              ++k;
            }
          fill = k ? s / static_cast<double>(k) : std::nan("");
        } else if (rule.method == MissingMethod::Median) {
          fill = percentile(v, 50.0);
        }
        if (col.type == ColumnType::Integer && fill != std::floor(fill)) col.type = ColumnType::Number;
        if (!std::isnan(fill))
          for (double& x : v)
            if (std::isnan(x)) {
              x = fill;
              ++cm.filled;
            }
        break;
      }
      case MissingMethod::ForwardFill:
        for (auto [b, e] : runs) {
          double last = std::nan("");
          double last_pos = 0;
          for (std::size_t r = b; r < e; ++r) {
            if (!std::isnan(v[r])) {
              last = v[r];
              last_pos = pos(r);
            } else if (!std::isnan(last) && pos(r) - last_pos <= rule.max_gap) {
              v[r] = last;
              ++cm.filled;
            }
          }
        }
        break;
      case MissingMethod::Interpolate:
        for (auto [b, e] : runs) {
          std::size_t prev = e;  // last known row, e = none yet
          for (std::size_t r = b; r < e; ++r) {
            if (std::isnan(v[r])) continue;
            if (prev != e && r > prev + 1) {
              double t0 = pos(prev), t1 = pos(r);
              if (t1 - t0 <= rule.max_gap && t1 > t0) {
                for (std::size_t k = prev + 1; k < r; ++k) {
                  double f = (pos(k) - t0) / (t1 - t0);
                  v[k] = v[prev] + (v[r] - v[prev]) * f;
                  ++cm.filled;
                }
              }
            }
            prev = r;
          }
        }
        if (col.type == ColumnType::Integer) {
          for (double x : v)
            if (!std::isnan(x) && x != std::floor(x)) {
              col.type = ColumnType::Number;
              break;
            }
        }
        break;
    }
    rep.missing.push_back(cm);
  }
  auto keep = kept_rows(drop);
  if (keep.size() != t.rows()) t = take_rows(t, keep);
  for (auto& cm : rep.missing) cm.left_missing = t.at(cm.column).missing_count();
  rep.rows_out = t.rows();
  return t;
}

std::string CleanReport::text() const {
  std::string s;
  auto out = std::back_inserter(s);
  fmt::format_to(out, "rows in: {}, rows out: {}\n", rows_in, rows_out);
  fmt::format_to(out, "exact duplicate rows removed: {}\n", duplicates_removed);
  if (repeated_values_kept)
    fmt::format_to(out,
                   "rows repeating an earlier row's values at another time (kept): {}\n",
                   repeated_values_kept);
  if (missing_time_dropped)
    fmt::format_to(out, "rows without a time dropped: {}\n", missing_time_dropped);
  if (repeated_timestamps_merged)
    fmt::format_to(out, "rows merged into a repeated timestamp: {}\n", repeated_timestamps_merged);
  for (const auto& o : outliers)
    fmt::format_to(out, "outliers in '{}': {} clipped to [{:.6g}, {:.6g}]\n", o.column, o.clipped,
                   o.low, o.high);
  if (missing.empty()) fmt::format_to(out, "missing values: none\n");
  for (const auto& m : missing)
    fmt::format_to(out, "missing in '{}': {} ({}): {} filled, {} rows dropped, {} left\n",
                   m.column, m.missing, m.method, m.filled, m.rows_dropped, m.left_missing);
  return s;
}

nlohmann::json CleanReport::json() const {
  nlohmann::json j;
  j["rows_in"] = rows_in;
  j["rows_out"] = rows_out;
  j["duplicates_removed"] = duplicates_removed;
  j["repeated_values_kept"] = repeated_values_kept;
  j["missing_time_dropped"] = missing_time_dropped;
  j["repeated_timestamps_merged"] = repeated_timestamps_merged;
  j["outliers"] = nlohmann::json::array();
  for (const auto& o : outliers)
    j["outliers"].push_back({{"column", o.column}, {"low", o.low}, {"high", o.high},
                             {"clipped", o.clipped}});
  j["missing"] = nlohmann::json::array();
  for (const auto& m : missing)
    j["missing"].push_back({{"column", m.column},
                            {"method", m.method},
                            {"missing", m.missing},
                            {"filled", m.filled},
                            {"rows_dropped", m.rows_dropped},
                            {"left_missing", m.left_missing}});
  return j;
}

}  // namespace tinyml::data

namespace tinyml::data {

Normalization normalize_table(Table& t, const std::string& method,
                              const std::vector<std::string>& skip) {
  if (method != "none" && method != "zscore" && method != "minmax")
    input_error("normalize: unknown method '{}' (expected none, zscore or minmax)", method);
  Normalization n;
  n.method = method;
  for (std::size_t c = 0; c < t.columns.size(); ++c) {
    Column& col = t.columns[c];
    if (static_cast<int>(c) == t.time_column) continue;
    if (col.type != ColumnType::Number && col.type != ColumnType::Integer) continue;
    if (std::find(skip.begin(), skip.end(), col.name) != skip.end()) continue;
    if (method != "none") col.type = ColumnType::Number;
    double off = 0, scale = 1;
    if (method == "zscore") {
      double s = 0;
      std::size_t k = 0;
      for (double x : col.values)
        if (!std::isnan(x)) {
          s += x;
          ++k;
        }
      off = k ? s / static_cast<double>(k) : 0.0;
      double s2 = 0;
      for (double x : col.values)
        if (!std::isnan(x)) s2 += (x - off) * (x - off);
      double sd = k ? std::sqrt(s2 / static_cast<double>(k)) : 0.0;
      scale = sd > 0 ? sd : 1.0;
    } else if (method == "minmax") {
      double lo = INFINITY, hi = -INFINITY;
      for (double x : col.values)
        if (!std::isnan(x)) {
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
      if (!std::isfinite(lo)) lo = hi = 0;
      off = lo;
      scale = hi > lo ? hi - lo : 1.0;
    }
    if (method != "none")
      for (double& x : col.values) x = (x - off) / scale;
    n.features.push_back(col.name);
    n.offset.push_back(off);
    n.scale.push_back(scale);
  }
  return n;
}

}  // namespace tinyml::data
