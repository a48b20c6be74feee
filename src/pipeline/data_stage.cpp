#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"
#include "tinyml/data/inspect.hpp"
#include "tinyml/data/merge.hpp"
#include "tinyml/data/sources.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/error.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml/version.hpp"

namespace tinyml {
namespace fs = std::filesystem;
using nlohmann::json;

data::Table load_source_table(const SourceConfig& src) {
  if (src.format == "wav") return data::read_wav(src.path);
  if (src.format == "csv") return data::read_csv(src.path, src.csv);
  input_error("source '{}': format '{}' is not a table (use it as the only source)", src.name,
              src.format);
}

namespace {

void class_balance(std::string& s, const data::Dataset& d) {
  auto cc = d.class_counts();
  for (std::size_t c = 0; c < cc.size(); ++c)
    fmt::format_to(std::back_inserter(s), " {:>10}", cc[c]);
}

json dataset_summary(const data::Dataset& d) {
  json j;
  j["samples"] = d.size();
  auto cc = d.class_counts();
  json counts = json::object();
  for (std::size_t c = 0; c < cc.size(); ++c) counts[d.classes[c]] = cc[c];
  j["class_counts"] = counts;
  return j;
}

}  // namespace

data::Table load_clean_table(const Project& p, std::string& rep, json& rj) {
  auto out = std::back_inserter(rep);
  std::vector<data::NamedTable> tables;
  json sj = json::array();
  for (const auto& s : p.sources) {
    data::Table t = load_source_table(s);
    std::string time = t.time() ? fmt::format("time '{}' ({}{})", t.time()->name,
                                              data::to_string(t.time()->time_format),
                                              t.time()->time_format == data::TimeFormat::Index
                                                  ? fmt::format(" x {} s", t.time()->index_period_s)
                                                  : "")
                                : "no time column";
    fmt::format_to(out, "source '{}': {}, {} rows x {} columns, {}\n", s.name,
                   s.path.filename().string(), t.rows(), t.columns.size(), time);
    sj.push_back({{"name", s.name}, {"file", s.path.filename().string()}, {"rows", t.rows()},
                  {"columns", t.columns.size()}});
    tables.push_back({s.name, std::move(t)});
  }
  rj["sources"] = sj;
  data::MergeReport mrep;
  data::Table t;
  if (tables.size() > 1 || p.merge.method != data::MergeMethod::Concat) {
    t = data::merge(std::move(tables), p.merge, mrep);
    rep += mrep.text();
    rj["merge"] = mrep.json();
  } else {
    t = std::move(tables.front().table);
  }
  if (p.clean_enabled) {
    data::CleanReport crep;
    t = data::clean(std::move(t), p.clean, crep);
    fmt::format_to(out, "cleaning:\n");
    std::string ct = crep.text();
    for (std::size_t a = 0, b; a < ct.size(); a = b + 1) {
      b = ct.find('\n', a);
      fmt::format_to(out, "  {}\n", ct.substr(a, b - a));
    }
    rj["clean"] = crep.json();
  }
  return t;
}

DataStageResult run_data_stage(const Project& p) {
  DataStageResult res;
  std::string& rep = res.report;
  auto out = std::back_inserter(rep);
  json& rj = res.report_json;
  rj["project"] = p.name;

  const bool idx = std::any_of(p.sources.begin(), p.sources.end(),
                               [](const SourceConfig& s) { return s.format == "idx"; });
  data::Dataset all;
  std::vector<std::int8_t> sample_part;
  std::array<data::WindowStats, 3> wstats{};
  data::SplitOptions split = p.split;

  if (idx) {
    // IDX sources hold ready-made samples. Sources marked part = "test" (an official test
    // file) go to the test split whole; the others are pooled and split into train and
    // validation by the first two fractions (or all three when no source is marked).
    std::vector<std::int8_t> fixed;  // -1: to be split, else the part
    bool has_test_file = false;
    for (const auto& s : p.sources) {
      if (s.format != "idx")
        input_error("{}: source '{}' is {}, but IDX sources cannot be mixed with tables", p.file.string(), s.name,
                    s.format);
      data::Dataset d = data::read_idx(s.path, s.labels);
      fmt::format_to(out, "source '{}': {} (IDX), {} samples of shape [{}]{}\n", s.name,
                     s.path.filename().string(), d.size(), fmt::join(d.shape, ", "),
                     s.part.empty() ? "" : fmt::format(", all to {}", s.part));
      if (all.size() == 0) {
        all = std::move(d);
      } else {
        if (d.shape != all.shape)
          input_error("{}: source '{}' has samples of shape [{}], the first source [{}]", p.file.string(), s.name,
                      fmt::join(d.shape, ", "), fmt::join(all.shape, ", "));
        if (d.classes.size() > all.classes.size()) all.classes = d.classes;
        all.x.insert(all.x.end(), d.x.begin(), d.x.end());
        all.y.insert(all.y.end(), d.y.begin(), d.y.end());
        all.group.insert(all.group.end(), d.group.begin(), d.group.end());
        all.t_begin.insert(all.t_begin.end(), d.t_begin.begin(), d.t_begin.end());
        all.t_end.insert(all.t_end.end(), d.t_end.begin(), d.t_end.end());
      }
      fixed.resize(all.size(), s.part == "test" ? data::kTest : -1);
      has_test_file = has_test_file || s.part == "test";
    }
    if (!p.columns.class_names.empty()) {
      if (p.columns.class_names.size() != all.classes.size())
        input_error("{}: data.class_names has {} names but the labels hold {} classes",
                    p.file.string(), p.columns.class_names.size(), all.classes.size());
      all.classes = p.columns.class_names;
    }
    if (split.method == data::SplitMethod::Time || split.method == data::SplitMethod::Group)
      split.method = all.classes.empty() ? data::SplitMethod::Random : data::SplitMethod::Stratified;
    if (has_test_file) split.fractions[2] = 0;
    std::vector<std::int32_t> pool_y;
    for (std::size_t i = 0; i < all.size(); ++i)
      if (fixed[i] < 0) pool_y.push_back(all.y[i]);
    auto pool_part = data::split_samples(pool_y, split);
    sample_part.resize(all.size());
    for (std::size_t i = 0, k = 0; i < all.size(); ++i) sample_part[i] = fixed[i] < 0 ? pool_part[k++] : fixed[i];
  } else {
    data::Table t = load_clean_table(p, rep, rj);
    data::LabelMap labels = data::make_label_map(t, p.columns);
    data::WindowOptions wopt = p.window_enabled ? p.window : data::WindowOptions{};
    if (split.method == data::SplitMethod::Time && t.time_column < 0)
      split.method = labels.names.empty() ? data::SplitMethod::Random : data::SplitMethod::Stratified;

    if (split.method == data::SplitMethod::Time || split.method == data::SplitMethod::Group) {
      auto row_part = data::split_rows(t, split);
      for (int k = 0; k < 3; ++k)
        res.parts[static_cast<std::size_t>(k)] =
            data::make_windows(t, p.columns, labels, wopt, row_part, k, wstats[static_cast<std::size_t>(k)]);
      if (split.method == data::SplitMethod::Group) {
        // Which groups went where, in the words of the group column.
        const data::Column& g = t.at(split.group_column);
        std::array<std::vector<std::string>, 3> names;
        std::vector<char> seen_any(3, 0);
        std::map<double, int> part_of;
        for (std::size_t r = 0; r < t.rows(); ++r) part_of[g.values[r]] = row_part[r];
        for (auto& [v, k] : part_of) names[static_cast<std::size_t>(k)].push_back(data::cell_text(g, v));
        fmt::format_to(out, "split (group by '{}'): train = {}; validation = {}; test = {}\n", g.name,
                       fmt::join(names[0], ", "), fmt::join(names[1], ", "), fmt::join(names[2], ", "));
        rj["split"] = {{"method", "group"}, {"column", g.name}, {"train", names[0]},
                       {"validation", names[1]}, {"test", names[2]}};
      } else {
        fmt::format_to(out, "split (time-ordered blocks{}): {:.0f}% / {:.0f}% / {:.0f}% of the rows\n",
                       split.group_column.empty() ? "" : fmt::format(" per '{}'", split.group_column),
                       100 * split.fractions[0], 100 * split.fractions[1], 100 * split.fractions[2]);
        rj["split"] = {{"method", "time"}, {"fractions", split.fractions}};
      }
    } else {
      if (wopt.length > 1 && wopt.stride < wopt.length)
        input_error(
            "{}: split.method = \"{}\" with overlapping windows (stride {} < length {}) would put "
            "readings shared by two windows on both sides of the split; use split.method = "
            "\"time\" or \"group\", or a stride of at least the window length",
            p.file.string(), data::to_string(split.method), wopt.stride, wopt.length);
      all = data::make_windows(t, p.columns, labels, wopt, {}, 0, wstats[0]);
      sample_part = data::split_samples(all.y, split);
    }
    if (p.window_enabled)
      fmt::format_to(out, "windows: length {}, stride {}, label rule {}\n", wopt.length, wopt.stride,
                     data::to_string(wopt.label_rule));
    res.cleaned = std::move(t);
  }

  if (!sample_part.empty() || all.size() > 0) {
    for (int k = 0; k < 3; ++k) res.parts[static_cast<std::size_t>(k)] = data::select(all, sample_part, k);
    fmt::format_to(out, "split ({}, seed {}): {:.0f}% / {:.0f}% / {:.0f}% of the samples{}\n",
                   data::to_string(split.method), split.seed, 100 * split.fractions[0],
                   100 * split.fractions[1], 100 * split.fractions[2],
                   split.method == data::SplitMethod::Stratified ? ", per class" : "");
    rj["split"] = {{"method", std::string(data::to_string(split.method))}, {"seed", split.seed},
                   {"fractions", split.fractions}};
  }

  // Normalization fitted on the training part only, applied to all three.
  data::Normalization norm = data::fit_normalization(res.parts[0], p.normalize);
  for (auto& d : res.parts) data::apply_normalization(d, norm);

  // Table of samples and class balance per part.
  const auto& classes = res.parts[0].classes;
  fmt::format_to(out, "  {:<12} {:>10} {:>10}", "part", p.window_enabled ? "windows" : "samples",
                 "skipped");
  for (const auto& c : classes) fmt::format_to(out, " {:>10}", c.substr(0, 10));
  fmt::format_to(out, "\n");
  json parts = json::object();
  for (std::size_t k = 0; k < 3; ++k) {
    fmt::format_to(out, "  {:<12} {:>10} {:>10}", data::kPartNames[k], res.parts[k].size(),
                   wstats[k].skipped_missing);
    class_balance(rep, res.parts[k]);
    fmt::format_to(out, "\n");
    json pj = dataset_summary(res.parts[k]);
    pj["skipped_missing"] = wstats[k].skipped_missing;
    pj["segments"] = wstats[k].segments;
    parts[data::kPartNames[k]] = pj;
  }
  rj["parts"] = parts;
  if (res.parts[0].size() == 0) input_error("{}: the training split is empty", p.file.string());
  if (!classes.empty()) {
    for (std::size_t k = 1; k < 3; ++k) {
      auto cc = res.parts[k].class_counts();
      for (std::size_t c = 0; c < cc.size(); ++c)
        if (cc[c] == 0 && res.parts[k].size() > 0)
          fmt::format_to(out, "  note: {} has no sample of class '{}'\n", data::kPartNames[k], classes[c]);
    }
  }
  // Leakage check: no validation or test sample shares time with a training sample of the
  // same group (meaningful for time-ordered and grouped splits of time series).
  if (!idx && res.cleaned.time_column >= 0) {
    std::size_t v = data::count_time_overlaps(res.parts[0], res.parts[1]);
    std::size_t te = data::count_time_overlaps(res.parts[0], res.parts[2]);
    fmt::format_to(out, "leakage check: {} validation and {} test samples overlap a training sample in time\n",
                   v, te);
    rj["leakage"] = {{"validation_overlaps", v}, {"test_overlaps", te}};
  }
  if (norm.method != "none") {
    fmt::format_to(out, "normalization ({}, fitted on train):", norm.method);
    // A few features on the line; every one is in normalization.json.
    constexpr std::size_t kShown = 6;
    for (std::size_t f = 0; f < norm.features.size() && f < kShown; ++f)
      fmt::format_to(out, " {} (offset {:.6g}, scale {:.6g})", norm.features[f], norm.offset[f],
                     norm.scale[f]);
    if (norm.features.size() > kShown)
      fmt::format_to(out, " and {} more features (see normalization.json)", norm.features.size() - kShown);
    fmt::format_to(out, "\n");
  }
  rj["normalization"] = norm.json();
  return res;
}

}  // namespace tinyml
