#include "tinyml/data/inspect.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_set>

#include <fmt/format.h>

namespace tinyml::data {

using nlohmann::json;

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string duration(double s) {
  if (std::isnan(s)) return "n/a";
  if (s < 1) return fmt::format("{:.3g} ms", s * 1000);
  if (s < 120) return fmt::format("{:.4g} s", s);
  if (s < 7200) return fmt::format("{:.4g} min", s / 60);
  if (s < 172800) return fmt::format("{:.4g} h", s / 3600);
  return fmt::format("{:.4g} days", s / 86400);
}
}  // namespace

json inspect(const Table& t, const InspectOptions& opt) {
  json j;
  j["source"] = t.source;
  j["rows"] = t.rows();
  const std::size_t n = t.rows();
  std::string label = opt.label;
  if (label.empty())
    for (const auto& c : t.columns) {
      std::string l = lower(c.name);
      if ((l == "label" || l == "class" || l == "target" || l == "y") &&
          (c.type == ColumnType::Integer || c.type == ColumnType::Categorical)) {
        label = c.name;
        break;
      }
    }
  int gc = opt.group.empty() ? -1 : t.index_of(opt.group);
  json cols = json::array();
  for (std::size_t ci = 0; ci < t.columns.size(); ++ci) {
    const Column& c = t.columns[ci];
    json cj;
    cj["name"] = c.name;
    cj["type"] = std::string(to_string(c.type));
    if (c.type == ColumnType::Timestamp) cj["time_format"] = std::string(to_string(c.time_format));
    cj["missing"] = c.missing_count();
    if (c.type == ColumnType::Number || c.type == ColumnType::Integer) {
      double lo = INFINITY, hi = -INFINITY, s = 0;
      std::size_t k = 0;
      for (double v : c.values)
        if (!std::isnan(v)) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
          s += v;
          ++k;
        }
      if (k) {
        cj["min"] = lo;
        cj["max"] = hi;
        cj["mean"] = s / static_cast<double>(k);
      }
    }
    if (c.type == ColumnType::Categorical || c.type == ColumnType::Integer) {
      std::unordered_set<double> d(c.values.begin(), c.values.end());
      std::size_t distinct = 0;
      for (double v : d)
        if (!std::isnan(v)) ++distinct;
      cj["distinct"] = distinct;
    }
    cols.push_back(cj);
  }
  j["columns"] = cols;

  // Duplicate rows (every column) and rows repeating values at another time.
  {
    std::map<std::vector<std::uint64_t>, int> seen;
    std::size_t dup = 0;
    std::vector<std::uint64_t> key(t.columns.size());
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < t.columns.size(); ++c) {
        double v = t.columns[c].values[r];
        std::uint64_t b;
        std::memcpy(&b, &v, 8);
        key[c] = std::isnan(v) ? 1 : b;
      }
      if (!seen.emplace(key, 0).second) ++dup;
    }
    j["duplicate_rows"] = dup;
  }

  if (const Column* tc = t.time()) {
    auto order = order_by_group_time(t, gc, t.time_column);
    std::vector<double> steps;
    double lo = INFINITY, hi = -INFINITY;
    std::size_t repeated = 0, backwards = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      double v = tc->values[order[i]];
      if (std::isnan(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      if (i == 0) continue;
      if (gc >= 0 && t.columns[gc].values[order[i]] != t.columns[gc].values[order[i - 1]]) continue;
      double s = v - tc->values[order[i - 1]];
      if (s == 0) ++repeated;
      if (s > 0) steps.push_back(s);
    }
    // Out-of-order rows in the file itself (within a group).
    for (std::size_t r = 1; r < n; ++r) {
      if (gc >= 0 && t.columns[gc].values[r] != t.columns[gc].values[r - 1]) continue;
      if (tc->values[r] < tc->values[r - 1]) ++backwards;
    }
    json tj;
    tj["column"] = tc->name;
    tj["format"] = std::string(to_string(tc->time_format));
    if (std::isfinite(lo)) {
      tj["start"] = tc->text(order.front());
      tj["end"] = cell_text(*tc, hi);
      tj["span_s"] = hi - lo;
    }
    tj["repeated_timestamps"] = repeated;
    tj["out_of_order_rows"] = backwards;
    if (!steps.empty()) {
      std::vector<double> s = steps;
      std::nth_element(s.begin(), s.begin() + static_cast<long>(s.size() / 2), s.end());
      double med = s[s.size() / 2];
      std::size_t gaps = 0;
      double largest = 0;
      for (double x : steps) {
        if (x > 1.5 * med) ++gaps;
        largest = std::max(largest, x);
      }
      tj["interval_s"] = med;
      tj["gaps"] = gaps;
      tj["largest_gap_s"] = largest;
    }
    j["time"] = tj;
  }
  if (gc >= 0) {
    std::map<std::string, std::size_t> g;
    for (std::size_t r = 0; r < n; ++r) ++g[t.columns[gc].text(r)];
    j["groups"] = g;
  }
  if (!label.empty()) {
    const Column& lc = t.at(label);
    std::map<std::string, std::size_t> counts;
    for (std::size_t r = 0; r < n; ++r)
      if (!lc.missing(r)) ++counts[lc.text(r)];
    j["label"] = {{"column", label}, {"counts", counts}};
  }
  return j;
}

json inspect(const Dataset& d, const std::string& name) {
  json j;
  j["source"] = name;
  j["samples"] = d.size();
  j["shape"] = d.shape;
  j["features"] = d.features;
  j["normalization"] = d.norm.json();
  std::map<std::string, std::size_t> counts;
  auto cc = d.class_counts();
  for (std::size_t i = 0; i < cc.size(); ++i) counts[d.classes[i]] = cc[i];
  j["label"] = {{"column", "class"}, {"counts", counts}};
  return j;
}

std::string inspect_text(const json& j) {
  std::string s;
  auto out = std::back_inserter(s);
  if (j.contains("samples")) {
    fmt::format_to(out, "{}: tinyml dataset, {} samples of shape [{}]\n",
                   j["source"].get<std::string>(), j["samples"].get<std::size_t>(),
                   fmt::join(j["shape"].get<std::vector<std::uint32_t>>(), ", "));
    fmt::format_to(out, "features: {}\n", fmt::join(j["features"].get<std::vector<std::string>>(), ", "));
    fmt::format_to(out, "normalization: {}\n", j["normalization"]["method"].get<std::string>());
  } else {
    fmt::format_to(out, "{}: {} rows, {} columns, {} duplicate rows\n", j["source"].get<std::string>(),
                   j["rows"].get<std::size_t>(), j["columns"].size(),
                   j["duplicate_rows"].get<std::size_t>());
    fmt::format_to(out, "  {:<24} {:<18} {:>8} {:>12} {:>12} {:>12}\n", "column", "type", "missing",
                   "min", "max", "mean/distinct");
    for (const auto& c : j["columns"]) {
      std::string lo = c.contains("min") ? fmt::format("{:.6g}", c["min"].get<double>()) : "";
      std::string hi = c.contains("max") ? fmt::format("{:.6g}", c["max"].get<double>()) : "";
      std::string m = c.contains("distinct") ? fmt::format("{} values", c["distinct"].get<std::size_t>())
                      : c.contains("mean")   ? fmt::format("{:.6g}", c["mean"].get<double>())
                                             : "";
      std::string type = c["type"].get<std::string>();
      if (c.contains("time_format")) type += " (" + c["time_format"].get<std::string>() + ")";
      fmt::format_to(out, "  {:<24} {:<18} {:>8} {:>12} {:>12} {:>12}\n", c["name"].get<std::string>(),
                     type, c["missing"].get<std::size_t>(), lo, hi, m);
    }
    if (j.contains("time")) {
      const auto& t = j["time"];
      fmt::format_to(out, "time: column '{}' ({})", t["column"].get<std::string>(),
                     t["format"].get<std::string>());
      if (t.contains("span_s"))
        fmt::format_to(out, ", {} to {}, span {}", t["start"].get<std::string>(),
                       t["end"].get<std::string>(), duration(t["span_s"].get<double>()));
      fmt::format_to(out, "\n");
      if (t.contains("interval_s"))
        fmt::format_to(out, "sampling: every {} (median), {} gaps longer than 1.5x that, largest {}\n",
                       duration(t["interval_s"].get<double>()), t["gaps"].get<std::size_t>(),
                       duration(t["largest_gap_s"].get<double>()));
      fmt::format_to(out, "repeated timestamps: {}, rows out of time order: {}\n",
                     t["repeated_timestamps"].get<std::size_t>(), t["out_of_order_rows"].get<std::size_t>());
    } else {
      fmt::format_to(out, "time: no time column found (name one with --time-column)\n");
    }
    if (j.contains("groups")) {
      fmt::format_to(out, "groups:");
      for (auto& [k, v] : j["groups"].items()) fmt::format_to(out, " {}={}", k, v.get<std::size_t>());
      fmt::format_to(out, "\n");
    }
  }
  if (j.contains("label")) {
    std::size_t total = 0;
    for (auto& [k, v] : j["label"]["counts"].items()) total += v.get<std::size_t>();
    fmt::format_to(out, "label '{}':", j["label"]["column"].get<std::string>());
    for (auto& [k, v] : j["label"]["counts"].items())
      fmt::format_to(out, " {}={} ({:.2f}%)", k, v.get<std::size_t>(),
                     total ? 100.0 * static_cast<double>(v.get<std::size_t>()) / static_cast<double>(total) : 0.0);
    fmt::format_to(out, "\n");
  }
  return s;
}

std::size_t count_time_overlaps(const Dataset& a, const Dataset& b) {
  // Per group: a's intervals sorted by start, with the running maximum of their ends.
  // A b interval overlaps iff some a interval starting at or before b's end ends at or
  // after b's start, i.e. iff the running maximum up to there reaches b's start.
  struct Group {
    std::vector<double> begin, max_end;
  };
  std::map<std::int32_t, std::vector<std::pair<double, double>>> iv;
  for (std::size_t i = 0; i < a.size(); ++i) iv[a.group[i]].emplace_back(a.t_begin[i], a.t_end[i]);
  std::map<std::int32_t, Group> groups;
  for (auto& [g, v] : iv) {
    std::sort(v.begin(), v.end());
    Group& G = groups[g];
    double m = -INFINITY;
    for (auto& [b0, e0] : v) {
      m = std::max(m, e0);
      G.begin.push_back(b0);
      G.max_end.push_back(m);
    }
  }
  std::size_t overlaps = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    auto it = groups.find(b.group[i]);
    if (it == groups.end()) continue;
    const Group& G = it->second;
    auto k = std::upper_bound(G.begin.begin(), G.begin.end(), b.t_end[i]) - G.begin.begin();
    if (k > 0 && G.max_end[static_cast<std::size_t>(k - 1)] >= b.t_begin[i]) ++overlaps;
  }
  return overlaps;
}

}  // namespace tinyml::data
