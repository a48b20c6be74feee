// The simulate stage: the project's recordings (its sources, cleaned and windowed as the
// data stage does) replayed through the exported model and rules of the deploy stage.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <variant>

#include <fmt/format.h>

#include "tinyml/act/codegen.hpp"
#include "tinyml/classic/model_file.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/model.hpp"
#include "tinyml/pipeline.hpp"

namespace tinyml {

namespace fs = std::filesystem;
using nlohmann::json;

act::RuleTables project_rule_tables(const Project& p, const optimize::Int8File& f) {
  const auto& m = f.model;
  std::vector<std::string> features = f.normalization.features;
  if (features.empty()) features = p.columns.features;
  const std::size_t inputs = nn::numel(m.tensors[m.input].shape);
  const std::size_t outputs = nn::numel(m.tensors[m.output].shape);
  if (f.classes.size() < 2 || outputs != f.classes.size())
    input_error("{}: [[rules]] need a classifier with one output per class; the int8 model has {} outputs and {} "
                "classes",
                p.file.string(), outputs, f.classes.size());
  if (features.empty() || inputs % features.size() != 0)
    input_error("{}: [[rules]] need the model's input features (the int8 model's input has {} values)", p.file.string(),
                inputs);
  if (!act::uses_anomaly(p.act)) return act::compile_rules(p.act, f.classes, features, inputs / features.size());
  // The "anomaly" signal: the train stage's k-means detector, run on the device.
  const fs::path path = p.build_dir / "train" / "anomaly.tmc";
  const classic::ClassicModelFile cf = classic::load_classic(path);
  const auto* det = std::get_if<classic::AnomalyDetector>(&cf.model);
  if (det == nullptr || det->method != "kmeans")
    input_error("{}: the rules' \"anomaly\" signal needs a k-means anomaly detector; {} is not one", p.file.string(),
                path.string());
  const classic::KMeans& km = det->kmeans.model();
  act::AnomalyTables a;
  a.centroids = km.centroids;
  a.count = static_cast<std::int32_t>(km.k());
  a.dim = static_cast<std::int32_t>(km.dim);
  a.threshold = static_cast<float>(det->threshold);
  const data::Normalization& n = cf.normalization;
  for (std::size_t c = 0; c < features.size(); ++c) {
    const bool normalized = n.method != "none" && c < n.offset.size() && c < n.scale.size();
    a.offset.push_back(normalized ? static_cast<float>(n.offset[c]) : 0.0f);
    a.inv_scale.push_back(normalized ? static_cast<float>(1.0 / n.scale[c]) : 1.0f);
  }
  if (!(a.threshold > 0)) input_error("{}: the anomaly detector's threshold {} is not positive", path.string(), det->threshold);
  return act::compile_rules(p.act, f.classes, features, inputs / features.size(), &a);
}

deploy::ExportOptions with_rules(const Project& p, const optimize::Int8File& f, deploy::ExportOptions eo) {
  if (!p.act.enabled()) return eo;
  const auto& m = f.model;
  act::RulesCode code = act::generate_rules_code(project_rule_tables(p, f), eo.name, m.tensors[m.output].q.scale);
  eo.extra_sources = std::move(code.sources);
  eo.extra_runtime = std::move(code.runtime);
  return eo;
}

std::vector<act::Recording> replay_recordings(const Project& p, const std::string& part, const fs::path& data_file) {
  Project q = p;
  if (!data_file.empty()) {
    if (q.sources.empty()) input_error("{}: no [[sources]] to read {} like", p.file.string(), data_file.string());
    q.sources.resize(1);
    q.sources[0].path = data_file;
    q.sources[0].name = data_file.stem().string();
    q.merge.method = data::MergeMethod::Concat;
  }
  for (const auto& s : q.sources)
    if (s.format != "csv") input_error("{}: simulate replays time series from CSV sources; source '{}' is {}", p.file.string(), s.name, s.format);
  std::string rep;
  json rj;
  const data::Table t = load_clean_table(q, rep, rj);
  if (t.time_column < 0) input_error("{}: simulate needs a time column to replay the readings in time order", p.file.string());
  const data::LabelMap labels = data::make_label_map(t, q.columns);
  std::int32_t normal = 0;
  if (!p.anomaly.normal_class.empty())
    for (std::size_t i = 0; i < labels.names.size(); ++i)
      if (labels.names[i] == p.anomaly.normal_class) normal = static_cast<std::int32_t>(i);

  // Which part each row belongs to ("file" rows all replay).
  std::vector<std::int8_t> row_part(t.rows(), 0);
  const bool split_rows = data_file.empty() && part != "all";
  if (split_rows) {
    if (q.split.method != data::SplitMethod::Time && q.split.method != data::SplitMethod::Group)
      input_error("{}: simulate.part = \"{}\" needs split.method = \"time\" or \"group\" (whole recordings); use part "
                  "= \"all\" or --data FILE",
                  p.file.string(), part);
    row_part = data::split_rows(t, q.split);
  }
  std::int8_t wanted = 0;
  for (std::int8_t k = 0; k < 3; ++k)
    if (part == data::kPartNames[k]) wanted = k;
  const int gc = q.columns.group.empty() ? -1 : t.index_of(q.columns.group);
  std::map<double, std::vector<std::size_t>> rows_of;  // group value -> rows, time order
  for (std::size_t r : data::order_by_group_time(t, gc, t.time_column)) {
    if (split_rows && row_part[r] != wanted) continue;
    rows_of[gc >= 0 ? t.columns[static_cast<std::size_t>(gc)].values[r] : 0.0].push_back(r);
  }
  std::vector<std::int8_t> all_part;
  if (data_file.empty() && part == "all" &&
      (q.split.method == data::SplitMethod::Time || q.split.method == data::SplitMethod::Group))
    all_part = data::split_rows(t, q.split);

  const data::WindowOptions wopt = q.window_enabled ? q.window : data::WindowOptions{};
  const auto& tv = t.columns[static_cast<std::size_t>(t.time_column)].values;
  const std::vector<double>* lv = q.columns.label.empty() ? nullptr : &t.at(q.columns.label).values;
  std::vector<act::Recording> out;
  for (const auto& [g, rows] : rows_of) {
    if (rows.empty()) continue;
    act::Recording rec;
    rec.name = gc >= 0 ? fmt::format("{} {}", t.columns[static_cast<std::size_t>(gc)].name,
                                     data::cell_text(t.columns[static_cast<std::size_t>(gc)], g))
                       : (data_file.empty() ? p.name : data_file.filename().string());
    if (!data_file.empty()) {
      rec.part = "file";
    } else if (split_rows) {
      rec.part = part;
    } else if (!all_part.empty()) {
      std::set<std::int8_t> parts;
      for (std::size_t r : rows) parts.insert(all_part[r]);
      rec.part = parts.size() == 1 ? data::kPartNames[*parts.begin()] : "mixed";
    } else {
      rec.part = "all";
    }
    rec.readings = rows.size();
    rec.t_first = tv[rows.front()];
    rec.t_last = tv[rows.back()];
    std::vector<std::int8_t> mark(t.rows(), 1);
    for (std::size_t r : rows) mark[r] = 0;
    data::WindowStats st;
    const data::Dataset d = data::make_windows(t, q.columns, labels, wopt, mark, 0, st);
    for (std::size_t i = 0; i < d.size(); ++i) {
      act::ReplayWindow w;
      w.t_begin = d.t_begin[i];
      w.t_end = d.t_end[i];
      const std::size_t n = d.sample_size();
      w.raw.assign(d.x.begin() + static_cast<long>(i * n), d.x.begin() + static_cast<long>((i + 1) * n));
      rec.windows.push_back(std::move(w));
    }
    if (lv != nullptr) {
      for (std::size_t k = 0; k < rows.size(); ++k) {
        const int cls = labels.index_of((*lv)[rows[k]]);
        if (cls < 0 || cls == normal) continue;
        const bool continues = k > 0 && !rec.events.empty() && rec.events.back().t_last == tv[rows[k - 1]] &&
                               labels.index_of((*lv)[rows[k - 1]]) == cls;
        if (continues) {
          rec.events.back().t_last = tv[rows[k]];
          ++rec.events.back().readings;
        } else {
          rec.events.push_back({tv[rows[k]], tv[rows[k]], 1});
        }
      }
    }
    out.push_back(std::move(rec));
  }
  if (out.empty())
    input_error("{}: nothing to replay: no readings in {}", p.file.string(),
                data_file.empty() ? fmt::format("the {} part", part) : data_file.string());
  return out;
}

SimulateStageResult run_simulate_stage(const Project& p, const fs::path& optimize_dir, const fs::path& deploy_dir,
                                       const fs::path& out_dir, const SimulateStageOptions& so, std::ostream& timeline) {
  if (!p.act.enabled()) input_error("{}: no [[rules]]: nothing to simulate", p.file.string());
  const fs::path model_path = optimize_dir / "model.tmq";
  const optimize::Int8File f = optimize::deserialize_int8(read_file(model_path), model_path.string());
  const act::RuleTables tables = project_rule_tables(p, f);
  const fs::path code = deploy_dir / p.deploy.name;
  if (!fs::exists(code / "src" / (p.deploy.name + "_rules.h")))
    input_error("{} has no rules: run the deploy stage first (tinyml deploy {})", code.string(), p.file.string());
  const std::string part = so.part.empty() ? p.act.simulate.part : so.part;
  const std::vector<act::Recording> recs = replay_recordings(p, part, so.data_file);

  SimulateStageResult r;
  const act::Steps generated = act::run_generated(code, p.deploy.name, recs, out_dir / "replay");
  const act::Steps host = act::run_host(f, tables, recs);
  act::SimulateOptions o;
  o.detectors = p.act.simulate.detectors;
  o.grace_s = p.act.simulate.grace_s;
  o.speed = so.speed >= 0 ? so.speed : p.act.simulate.speed;
  o.timeline = so.timeline;
  r.sim = act::simulate(tables, recs, generated, host, o, timeline);

  std::vector<std::string> names;
  for (const auto& rec : recs) names.push_back(rec.name);
  r.report = fmt::format("replayed {} through the exported model \"{}\" and its {} rule{} ({}): {}\n",
                         so.data_file.empty() ? fmt::format("the {} part", part) : so.data_file.string(),
                         p.deploy.name, tables.rules.size(), tables.rules.size() == 1 ? "" : "s",
                         fmt::join(tables.rule_names, ", "), fmt::join(names, ", "));
  r.report += r.sim.summary;
  r.report_json = r.sim.json;
  r.report_json["part"] = part;
  if (!so.data_file.empty()) r.report_json["data"] = so.data_file.string();
  r.report_json["rules"] = tables.rule_names;
  return r;
}

}  // namespace tinyml
