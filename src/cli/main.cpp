// The tinyml command line: a thin layer over the stage libraries.
#include <filesystem>
#include <unistd.h>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "act_commands.hpp"
#include "deploy_commands.hpp"
#include "gateway_commands.hpp"
#include "tinyml/classic/model_file.hpp"
#include "tinyml/data/clean.hpp"
#include "tinyml/data/csv.hpp"
#include "tinyml/data/inspect.hpp"
#include "tinyml/data/merge.hpp"
#include "tinyml/data/sources.hpp"
#include "tinyml/data/split.hpp"
#include "tinyml/data/window.hpp"
#include "tinyml/error.hpp"
#include "tinyml/eval/metrics.hpp"
#include "tinyml/optimize/int8_file.hpp"
#include "tinyml/optimize/int8_model.hpp"
#include "tinyml/nn/model_file.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/io.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml/project.hpp"
#include "tinyml/version.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyml;

namespace {

// CSV reading options shared by the data commands.
struct CsvFlags {
  std::string delimiter = ",";
  std::vector<std::string> missing;
  std::vector<double> sentinels;
  std::string time_column, time_format = "auto";
  double index_period = 1.0;
  bool no_header = false;
  std::size_t skip_rows = 0;

  void add(CLI::App* c) {
    c->add_option("--delimiter", delimiter, "Field delimiter: one character, \\t for tab, or 'auto'")
        ->capture_default_str();
    c->add_option("--missing-marker", missing,
                  "A cell text meaning 'missing' (repeatable; default: empty, NA, N/A, NaN, null, None)");
    c->add_option("--sentinel", sentinels, "A numeric value meaning 'missing', e.g. -999 (repeatable)");
    c->add_option("--time-column", time_column,
                  "The time column (default: an ISO 8601 column, or one named time/timestamp/...)");
    c->add_option("--time-format", time_format, "auto, iso8601, epoch_s, epoch_ms or index")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "iso8601", "epoch_s", "epoch_ms", "index"}));
    c->add_option("--index-period", index_period, "Seconds per step when --time-format index")
        ->capture_default_str();
    c->add_flag("--no-header", no_header, "The first row is data; columns are named c1, c2, ...");
    c->add_option("--skip-rows", skip_rows, "Lines to skip before the header (a preamble)");
  }
  data::CsvOptions options() const {
    data::CsvOptions o;
    if (delimiter == "auto")
      o.delimiter = '\0';
    else if (delimiter == "\\t" || delimiter == "tab")
      o.delimiter = '\t';
    else if (delimiter.size() == 1)
      o.delimiter = delimiter[0];
    else
      input_error("--delimiter: expected one character, \\t or auto, got '{}'", delimiter);
    if (!missing.empty()) o.missing = missing;
    o.sentinels = sentinels;
    o.time_column = time_column;
    o.time_format = data::parse_time_format(time_format);
    o.index_period_s = index_period;
    o.header = !no_header;
    o.skip_rows = skip_rows;
    return o;
  }
};

bool is_idx(const fs::path& p) {
  std::string n = p.filename().string();
  return n.find("idx1-ubyte") != std::string::npos || n.find("idx3-ubyte") != std::string::npos ||
         p.extension() == ".idx";
}

data::Table read_table(const fs::path& p, const CsvFlags& f) {
  if (p.extension() == ".wav" || p.extension() == ".WAV") return data::read_wav(p);
  return data::read_csv(p, f.options());
}

int cmd_inspect(const std::vector<std::string>& files, const CsvFlags& f, const std::string& label,
                const std::string& group, bool as_json) {
  json all = json::array();
  for (const auto& file : files) {
    fs::path p(file);
    json j;
    if (p.extension() == ".tds") {
      j = data::inspect(data::load_dataset(p), file);
    } else if (is_idx(p)) {
      j = data::inspect(data::read_idx(p), file);
    } else {
      data::InspectOptions o{label, group};
      j = data::inspect(read_table(p, f), o);
    }
    if (as_json)
      all.push_back(j);
    else
      std::cout << data::inspect_text(j) << (files.size() > 1 ? "\n" : "");
  }
  if (as_json) std::cout << (files.size() == 1 ? all[0] : all).dump(2) << "\n";
  return 0;
}

struct CleanFlags {
  std::string in, out, report;
  std::string group, label, duplicates = "drop", repeated = "keep", missing = "keep", outliers = "none";
  std::string normalize = "none";
  std::vector<std::string> column_missing;
  double max_gap = INFINITY, fill_value = 0, clip_low = 1, clip_high = 99, z = 4;
  bool json = false;
};

int cmd_clean(const CleanFlags& c, const CsvFlags& f) {
  data::Table t = read_table(c.in, f);
  data::CleanOptions o;
  o.group_column = c.group;
  if (!c.label.empty()) o.label_columns = {c.label};
  if (c.duplicates != "drop" && c.duplicates != "keep")
    input_error("--duplicates: expected drop or keep, got '{}'", c.duplicates);
  o.drop_duplicates = c.duplicates == "drop";
  try {
    o.repeated_timestamps = data::parse_repeated_time(c.repeated);
    o.missing_default.method = data::parse_missing_method(c.missing);
    o.outliers = data::parse_outlier_method(c.outliers);
  } catch (const std::invalid_argument& e) {
    input_error("bad option value: {}", e.what());
  }
  o.missing_default.max_gap = c.max_gap;
  o.missing_default.constant = c.fill_value;
  for (const auto& cm : c.column_missing) {
    auto eq = cm.find('=');
    if (eq == std::string::npos) input_error("--column-missing: expected COLUMN=METHOD, got '{}'", cm);
    data::MissingRule r = o.missing_default;
    try {
      r.method = data::parse_missing_method(cm.substr(eq + 1));
    } catch (const std::invalid_argument& e) {
      input_error("--column-missing {}: {}", cm, e.what());
    }
    o.missing[cm.substr(0, eq)] = r;
  }
  o.low_percentile = c.clip_low;
  o.high_percentile = c.clip_high;
  o.z = c.z;
  data::CleanReport rep;
  data::Table out = data::clean(std::move(t), o, rep);
  json rj = rep.json();
  if (c.normalize != "none") {
    std::vector<std::string> skip;
    if (!c.group.empty()) skip.push_back(c.group);
    if (!c.label.empty()) skip.push_back(c.label);
    rj["normalization"] = data::normalize_table(out, c.normalize, skip).json();
  }
  AtomicOutputs outs;
  const char delim = f.options().delimiter ? f.options().delimiter : ',';
  outs.add_stream(c.out, [&](const Sink& sink) { data::write_csv(out, sink, delim); });
  if (!c.report.empty()) outs.add(c.report, rj.dump(2) + "\n");
  outs.commit();
  if (c.json)
    std::cout << rj.dump(2) << "\n";
  else
    std::cout << rep.text() << fmt::format("wrote {} ({} rows)\n", c.out, out.rows());
  return 0;
}

// A dataset a network model (.tmm or .tmq) can be evaluated on: its sample shape and
// classes are the model's.
void check_fits(const data::Dataset& d, const std::string& path, const std::string& model_path,
                const nn::Shape& shape, const std::vector<std::string>& classes) {
  if (nn::input_shape_for(d) != shape)
    input_error("{}: samples of shape {}, but the model {} takes {}", path, nn::to_string(nn::input_shape_for(d)),
                model_path, nn::to_string(shape));
  if (d.classes != classes)
    input_error("{}: classes [{}] differ from the model's [{}]", path, fmt::join(d.classes, ", "),
                fmt::join(classes, ", "));
}

struct Int8Flags {
  bool on = false;
  std::string calibration, method = "mse";
  std::size_t samples = 1000;
};

int cmd_eval(const std::string& model_path, const std::vector<std::string>& datasets, bool as_json,
             double min_accuracy, const Int8Flags& int8) {
  const std::string bytes = read_file(model_path);
  json out = json::object();
  std::vector<std::string> below;
  auto classifier = [&](const std::string& path, const eval::Evaluation& e) {
    if (as_json)
      out[path] = e.json();
    else
      std::cout << path << ": " << e.text();
    if (e.accuracy < min_accuracy) below.push_back(fmt::format("{}: accuracy {:.4f}", path, e.accuracy));
  };
  if (optimize::is_int8_model(bytes)) {
    // An int8 model (.tmq): run on the device runtime's kernels.
    optimize::Int8File f = optimize::deserialize_int8(bytes, model_path);
    out["model"] = {{"path", model_path}, {"kind", "int8"}, {"operations", f.model.ops.size()},
                    {"weight_bytes", f.model.weight_bytes()}};
    if (!as_json)
      std::cout << fmt::format("{}: int8, {} operations on the device runtime's kernels, {} weight bytes\n", model_path,
                               f.model.ops.size(), f.model.weight_bytes());
    for (const auto& path : datasets) {
      data::Dataset d = data::load_dataset(path);
      check_fits(d, path, model_path, f.model.tensors[f.model.input].shape, f.classes);
      classifier(path, eval::evaluate(d.y, optimize::predict_int8(f.model, d), d.classes));
    }
  } else if (classic::is_classic_model(bytes)) {
    // A KNN, tree or forest (.tmc): the usual evaluation; an anomaly detector: how it
    // separates its normal class from the others at its calibrated threshold.
    classic::ClassicModelFile f = classic::deserialize_classic(bytes, model_path);
    out["model"] = {{"path", model_path}, {"kind", f.kind()}};
    if (!f.is_classifier() && min_accuracy > 0)
      input_error("--min-accuracy: {} is an anomaly detector, not a classifier", model_path);
    for (const auto& path : datasets) {
      data::Dataset d = data::load_dataset(path);
      f.check_dataset(d, path, model_path);
      if (auto* a = std::get_if<classic::AnomalyDetector>(&f.model)) {
        const classic::DetectionMetrics m =
            classic::detection_metrics(a->score(d), classic::anomaly_labels(d, a->normal_class), a->threshold);
        if (as_json)
          out[path] = m.json();
        else
          std::cout << path << ": " << m.text();
      } else {
        classifier(path, eval::evaluate(d.y, f.predict(d), d.classes));
      }
    }
  } else {
    nn::ModelFile f = nn::deserialize_model(bytes, model_path);
    const std::size_t params = f.model.parameter_count();
    const std::uint64_t macs = f.model.macs();
    out["model"] = {{"path", model_path}, {"parameters", params}, {"macs", macs}};
    if (!as_json) std::cout << fmt::format("{}: {} parameters, {} MACs per inference\n", model_path, params, macs);
    std::optional<optimize::Int8Model> q;
    if (int8.on) {
      if (int8.calibration.empty())
        input_error("--int8 needs --calibration FILE.tds (e.g. build/data/train.tds) to set the activation ranges");
      data::Dataset cal = data::load_dataset(int8.calibration);
      check_fits(cal, int8.calibration, model_path, f.model.input_shape, f.classes);
      q = optimize::quantize_model(f.model, optimize::observe(f.model, cal, int8.samples),
                                   optimize::parse_range_method(int8.method), cal.norm);
      if (!as_json)
        std::cout << fmt::format("int8: {} operations on the device runtime's kernels, {} calibration on {} samples of {}\n",
                                 q->ops.size(), int8.method, std::min(int8.samples, cal.size()), int8.calibration);
    }
    for (const auto& path : datasets) {
      data::Dataset d = data::load_dataset(path);
      check_fits(d, path, model_path, f.model.input_shape, f.classes);
      if (!q) {
        classifier(path, eval::evaluate(d.y, nn::predict(f.model, d), d.classes));
        continue;
      }
      // Float and int8 side by side; --min-accuracy applies to int8.
      const eval::Evaluation ef = eval::evaluate(d.y, nn::predict(f.model, d), d.classes);
      const eval::Evaluation ei = eval::evaluate(d.y, optimize::predict_int8(*q, d), d.classes);
      const optimize::OutputDifference od = optimize::output_difference(f.model, *q, d);
      if (as_json) {
        out[path] = {{"float", ef.json()},
                     {"int8", ei.json()},
                     {"output_difference", {{"max", od.max}, {"mean", od.mean}, {"step", od.step}}}};
      } else {
        std::cout << fmt::format("{}: accuracy float {:.4f}, int8 {:.4f} ({:+.2f} points); macro F1 float {:.4f}, int8 {:.4f}\n",
                                 path, ef.accuracy, ei.accuracy, 100 * (ei.accuracy - ef.accuracy), ef.macro_f1, ei.macro_f1);
        std::cout << fmt::format("  {:<14} {:>10} {:>10}\n", "class F1", "float", "int8");
        for (std::size_t c = 0; c < ef.classes.size(); ++c)
          std::cout << fmt::format("  {:<14} {:>10.4f} {:>10.4f}\n", ef.classes[c].name, ef.classes[c].f1, ei.classes[c].f1);
        std::cout << fmt::format("  outputs (logits), int8 vs float: max difference {:.4f}, mean {:.4f} (one output step "
                                 "is {:.4f})\n",
                                 od.max, od.mean, od.step);
      }
      if (ei.accuracy < min_accuracy) below.push_back(fmt::format("{}: int8 accuracy {:.4f}", path, ei.accuracy));
    }
  }
  if (as_json) std::cout << out.dump(2) << "\n";
  if (!below.empty()) {
    std::cerr << fmt::format("tinyml: below --min-accuracy {}: {}\n", min_accuracy, fmt::join(below, "; "));
    return 1;
  }
  return 0;
}

struct MergeFlags {
  std::vector<std::string> inputs;
  std::string out, method = "concat", aggregate = "mean", group, source_column;
  double tolerance = 0, period = 1;
  bool json = false;
};

int cmd_merge(const MergeFlags& m, const CsvFlags& f) {
  data::MergeOptions o;
  try {
    o.method = data::parse_merge_method(m.method);
    o.aggregate = data::parse_aggregate(m.aggregate);
  } catch (const std::invalid_argument& e) {
    input_error("bad option value: {}", e.what());
  }
  o.tolerance_s = m.tolerance;
  o.period_s = m.period;
  o.group_column = m.group;
  o.source_column = m.source_column;
  std::vector<data::NamedTable> tables;
  for (const auto& in : m.inputs) tables.push_back({fs::path(in).stem().string(), read_table(in, f)});
  data::MergeReport rep;
  data::Table t = data::merge(std::move(tables), o, rep);
  AtomicOutputs outs;
  outs.add_stream(m.out, [&](const Sink& sink) { data::write_csv(t, sink); });
  outs.commit();
  if (m.json)
    std::cout << rep.json().dump(2) << "\n";
  else
    std::cout << rep.text() << fmt::format("wrote {} ({} rows)\n", m.out, t.rows());
  return 0;
}

struct SplitFlags {
  std::string in, out_dir, method = "stratified", label, group;
  std::vector<double> fractions = {0.7, 0.15, 0.15};
  std::uint64_t seed = 42;
  std::vector<std::string> groups[3];
  bool json = false;
};

int cmd_split(const SplitFlags& s, const CsvFlags& f) {
  data::Table t = read_table(s.in, f);
  data::SplitOptions o;
  try {
    o.method = data::parse_split_method(s.method);
  } catch (const std::invalid_argument& e) {
    input_error("--method: {}", e.what());
  }
  if (s.fractions.size() != 3) input_error("--fractions: expected three numbers, e.g. 0.7,0.15,0.15");
  for (int k = 0; k < 3; ++k) {
    if (s.fractions[static_cast<std::size_t>(k)] < 0) input_error("--fractions: must not be negative");
    o.fractions[k] = s.fractions[static_cast<std::size_t>(k)];
    o.groups[k] = s.groups[k];
  }
  o.seed = s.seed;
  o.group_column = s.group;
  std::vector<std::int8_t> part;
  if (o.method == data::SplitMethod::Time || o.method == data::SplitMethod::Group) {
    part = data::split_rows(t, o);
  } else {
    std::vector<std::int32_t> y(t.rows(), 0);
    if (o.method == data::SplitMethod::Stratified) {
      if (s.label.empty()) input_error("--method stratified needs --label COLUMN");
      data::Columns cols;
      cols.label = s.label;
      data::LabelMap lm = data::make_label_map(t, cols);
      const auto& lv = t.at(s.label).values;
      for (std::size_t r = 0; r < t.rows(); ++r) y[r] = lm.index_of(lv[r]);
    }
    part = data::split_samples(y, o);
  }
  AtomicOutputs outs;
  json j = json::object();
  std::string text;
  for (int k = 0; k < 3; ++k) {
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < t.rows(); ++r)
      if (part[r] == k) rows.push_back(r);
    fs::path p = fs::path(s.out_dir) / fmt::format("{}.csv", data::kPartNames[k]);
    data::Table part_table = data::take_rows(t, rows);
    outs.add_stream(p, [&](const Sink& sink) { data::write_csv(part_table, sink); });
    j[data::kPartNames[k]] = {{"file", p.string()}, {"rows", rows.size()}};
    text += fmt::format("{:<11} {:>8} rows -> {}\n", data::kPartNames[k], rows.size(), p.string());
  }
  outs.commit();
  if (s.json)
    std::cout << j.dump(2) << "\n";
  else
    std::cout << text;
  return 0;
}

}  // namespace

// `tinyml train`, `tinyml optimize` and `tinyml deploy`: a project's stages up to this one.
struct StageCommand {
  CLI::App* cmd = nullptr;
  std::string project, build_dir;
  BuildOptions opt;
  int run(const std::string& stage, const std::string& section) {
    Project p = load_project(project);
    if ((stage == "train" && !p.trains()) || (stage == "optimize" && !p.optimize_enabled) ||
        (stage == "deploy" && !p.deploy_enabled))
      input_error("{}: no {}: nothing to {}", project, section, stage);
    if (!build_dir.empty()) p.build_dir = build_dir;
    opt.progress = ::isatty(STDOUT_FILENO) != 0;
    opt.until = stage;
    return build(p, opt, std::cout);
  }
};

// The options point into `c`, which must outlive the parse.
void add_stage_command(CLI::App& app, StageCommand& c, const std::string& name, const std::string& help,
                       const std::string& force_help) {
  c.cmd = app.add_subcommand(name, help);
  c.cmd->add_option("project", c.project, "The project file (tinyml.toml)")->required();
  c.cmd->add_flag("--force", c.opt.force, force_help);
  c.cmd->add_flag("--json", c.opt.json, "Print the reports as JSON");
  c.cmd->add_option("--build-dir", c.build_dir, "Artefacts folder instead of build/ beside the project");
}

int main(int argc, char** argv) {
  CLI::App app{
      "tinyml: the TinyML workflow in one tool.\n"
      "Data -> train -> optimize -> deploy -> act, driven by one project file (tinyml.toml).\n"
      "Start with 'tinyml data inspect FILE' to look at your data, or 'tinyml build PROJECT.toml'.\n"
      "Exit status: 0 success, 1 failure, 2 bad usage or bad input.",
      "tinyml"};
  app.set_version_flag("--version", std::string("tinyml ") + kVersion);
  app.require_subcommand(1);

  // data
  CLI::App* data_cmd = app.add_subcommand("data", "Work on data one step at a time: inspect, merge, clean, split");
  data_cmd->require_subcommand(1);

  CsvFlags inspect_csv;
  std::vector<std::string> inspect_files;
  std::string inspect_label, inspect_group;
  bool inspect_json = false;
  CLI::App* inspect = data_cmd->add_subcommand(
      "inspect",
      "Show columns, inferred types, row count, missing values, duplicate rows, time span,\n"
      "sampling interval and gaps, and label balance of CSV, WAV, IDX or .tds files.\n"
      "Example: tinyml data inspect data.csv --label label --group mote_id");
  inspect->add_option("files", inspect_files, "Files to inspect")->required()->check(CLI::ExistingFile);
  inspect->add_option("--label", inspect_label, "The label column (default: one named label/class/target)");
  inspect->add_option("--group", inspect_group, "Measure time steps within each value of this column");
  inspect->add_flag("--json", inspect_json, "Print machine-readable JSON");
  inspect_csv.add(inspect);

  CsvFlags clean_csv;
  CleanFlags cf;
  CLI::App* clean = data_cmd->add_subcommand(
      "clean",
      "Remove duplicate rows, merge repeated timestamps, clip outliers and fill missing values,\n"
      "then write the cleaned CSV. Every action is counted in the report.\n"
      "Example: tinyml data clean raw.csv -o clean.csv --missing interpolate --max-gap 60");
  clean->add_option("input", cf.in, "Input CSV or WAV file")->required()->check(CLI::ExistingFile);
  clean->add_option("-o,--output", cf.out, "Output CSV file")->required();
  clean->add_option("--group", cf.group, "Column naming the device/session; fills never cross it");
  clean->add_option("--label", cf.label, "The label column: never filled by --missing, nor normalized");
  clean->add_option("--duplicates", cf.duplicates, "drop or keep exact duplicate rows")->capture_default_str();
  clean->add_option("--repeated-timestamps", cf.repeated, "keep, first, last or mean")->capture_default_str();
  clean->add_option("--missing", cf.missing,
                    "For every number column: keep, drop, mean, median, constant, ffill, interpolate")
      ->capture_default_str();
  clean->add_option("--column-missing", cf.column_missing,
                    "A rule for one column, COLUMN=METHOD (repeatable)");
  clean->add_option("--max-gap", cf.max_gap,
                    "Longest hole (seconds, or rows without time) that ffill/interpolate bridge");
  clean->add_option("--fill-value", cf.fill_value, "Value for --missing constant");
  clean->add_option("--outliers", cf.outliers, "none, percentile or zscore")->capture_default_str();
  clean->add_option("--clip-low", cf.clip_low, "Lower percentile for --outliers percentile")->capture_default_str();
  clean->add_option("--clip-high", cf.clip_high, "Upper percentile for --outliers percentile")->capture_default_str();
  clean->add_option("--z", cf.z, "Clip beyond mean +- z standard deviations (--outliers zscore)")->capture_default_str();
  clean->add_option("--normalize", cf.normalize,
                    "none, zscore or minmax on number columns, fitted on this file (in a project,\n"
                    "normalization is fitted on the training split instead)")
      ->capture_default_str();
  clean->add_option("--report", cf.report, "Also write the cleaning report as JSON to this file");
  clean->add_flag("--json", cf.json, "Print the report as JSON");
  clean_csv.add(clean);

  CsvFlags merge_csv;
  MergeFlags mf;
  CLI::App* merge_cmd = data_cmd->add_subcommand(
      "merge",
      "Combine several sources into one CSV: concatenate files with the same columns, join\n"
      "them on time within a tolerance (the first file is the base), or resample all of them\n"
      "to one fixed period first. Reports what was matched, dropped or left missing.\n"
      "Example: tinyml data merge temp.csv hum.csv --method join --tolerance 2.5 -o both.csv");
  merge_cmd->add_option("inputs", mf.inputs, "Input CSV or WAV files")->required()->check(CLI::ExistingFile);
  merge_cmd->add_option("-o,--output", mf.out, "Output CSV file")->required();
  merge_cmd->add_option("--method", mf.method, "concat, join or resample")->capture_default_str();
  merge_cmd->add_option("--tolerance", mf.tolerance, "join: largest time difference in seconds")->capture_default_str();
  merge_cmd->add_option("--period", mf.period, "resample: the fixed period in seconds")->capture_default_str();
  merge_cmd->add_option("--aggregate", mf.aggregate, "resample: mean, last or linear")->capture_default_str();
  merge_cmd->add_option("--group", mf.group, "Match and resample within each value of this column");
  merge_cmd->add_option("--source-column", mf.source_column, "concat: add a column naming each row's file");
  merge_cmd->add_flag("--json", mf.json, "Print the report as JSON");
  merge_csv.add(merge_cmd);

  CsvFlags split_csv;
  SplitFlags sf;
  CLI::App* split = data_cmd->add_subcommand(
      "split",
      "Split rows into train/validation/test CSV files without leakage: time-ordered blocks,\n"
      "whole groups, or stratified random with a seed (same seed, same split, byte for byte).\n"
      "Example: tinyml data split iris.csv --method stratified --label species --out-dir splits");
  split->add_option("input", sf.in, "Input CSV or WAV file")->required()->check(CLI::ExistingFile);
  split->add_option("--out-dir", sf.out_dir, "Folder for train.csv, validation.csv, test.csv")->required();
  split->add_option("--method", sf.method, "time, group, stratified or random")->capture_default_str();
  split->add_option("--fractions", sf.fractions, "Train, validation, test shares")
      ->delimiter(',')
      ->expected(3);
  split->add_option("--seed", sf.seed, "Random seed")->capture_default_str();
  split->add_option("--label", sf.label, "Label column (stratified)");
  split->add_option("--group", sf.group, "Group column (group; time splits per group)");
  split->add_option("--train-groups", sf.groups[0], "Group values for train (group)")->delimiter(',');
  split->add_option("--validation-groups", sf.groups[1], "Group values for validation")->delimiter(',');
  split->add_option("--test-groups", sf.groups[2], "Group values for test")->delimiter(',');
  split->add_flag("--json", sf.json, "Print the result as JSON");
  split_csv.add(split);

  std::string eval_model;
  std::vector<std::string> eval_data;
  bool eval_json = false;
  double eval_min_accuracy = 0;
  CLI::App* eval_cmd = app.add_subcommand(
      "eval",
      "Evaluate a trained model on datasets. A classifier (the network's .tmm, or knn.tmc,\n"
      "tree.tmc, forest.tmc) gives accuracy, per-class precision, recall and F1, and the\n"
      "confusion matrix (and, for a network, its parameters and MACs). An anomaly detector\n"
      "(anomaly.tmc) gives its threshold, the false-positive rate on the normal samples,\n"
      "ROC AUC of its scores, and detection precision, recall and F1 (an anomaly is a\n"
      "positive). With --min-accuracy a classifier exits with status 1 when a dataset scores\n"
      "below the floor (a gate for CI).\n"
      "Example: tinyml eval build/train/model.tmm build/data/test.tds --min-accuracy 0.9\n"
      "Example: tinyml eval build/train/anomaly.tmc build/data/test.tds\n"
      "Example: tinyml eval build/train/model.tmm build/data/test.tds --int8 --calibration build/data/train.tds");
  eval_cmd->add_option("model", eval_model, "Model file (.tmm or .tmc) from the train stage")
      ->required()
      ->check(CLI::ExistingFile);
  eval_cmd->add_option("datasets", eval_data, "Dataset files (.tds) from the data stage")
      ->required()
      ->check(CLI::ExistingFile);
  eval_cmd->add_flag("--json", eval_json, "Print machine-readable JSON");
  Int8Flags eval_int8;
  eval_cmd->add_flag("--int8", eval_int8.on,
                     "Also quantize the network to int8 and run it on the device runtime's kernels: float and int8 "
                     "side by side");
  eval_cmd->add_option("--calibration", eval_int8.calibration, "With --int8: samples that set the activation ranges")
      ->check(CLI::ExistingFile);
  eval_cmd->add_option("--calibration-method", eval_int8.method, "With --int8: minmax, percentile or mse")
      ->check(CLI::IsMember({"minmax", "percentile", "mse"}));
  eval_cmd->add_option("--calibration-samples", eval_int8.samples, "With --int8: how many samples to use");
  eval_cmd->add_option("--min-accuracy", eval_min_accuracy, "Exit with status 1 if any dataset's accuracy is lower")
      ->check(CLI::Range(0.0, 1.0));

  StageCommand train_stage_cmd, optimize_stage_cmd, deploy_stage_cmd;
  add_stage_command(app, train_stage_cmd, "train",
                        "Train the project's [model] with its [train] settings on the data stage's datasets\n"
                        "(running the data stage first when its inputs changed), then report validation and\n"
                        "test metrics per class. Layer types for [model] layers:\n" +
                            nn::layer_reference() + "Example: tinyml train examples/home/tinyml.toml",
                        "Train even if nothing changed");
  add_stage_command(
      app, optimize_stage_cmd, "optimize",
      "Quantize the project's trained [model] to int8 with its [optimize] settings (pruning\n"
      "first when asked; quantization-aware fine-tuning when int8 loses more than max_drop),\n"
      "running the data and train stages first when their inputs changed. Float and int8 are\n"
      "measured side by side, the int8 model running on the device runtime's kernels.\n"
      "Example: tinyml optimize examples/home/tinyml.toml",
      "Run even if nothing changed");
  add_stage_command(
      app, deploy_stage_cmd, "deploy",
      "Export the project's int8 model as C++ for the device ([deploy] name) into\n"
      "build/deploy/<name>/, verify the generated code byte for byte against the host's int8\n"
      "run on the targets [deploy] verify names (host, emulated Cortex-M and RISC-V cores), and\n"
      "check the [target] board's flash, RAM and latency budget; running the earlier stages\n"
      "first when their inputs changed. Fails when a byte differs or the model does not fit.\n"
      "Example: tinyml deploy examples/home/tinyml.toml",
      "Run even if nothing changed");

  std::string project_file;
  BuildOptions bopt;
  CLI::App* build_cmd = app.add_subcommand(
      "build",
      "Run every stage the project file configures, in order, writing artefacts to the build\n"
      "folder beside it. A stage whose inputs are unchanged (content hashes) is skipped.\n"
      "Example: tinyml build examples/home/tinyml.toml");
  build_cmd->add_option("project", project_file, "The project file (tinyml.toml)")->required();
  build_cmd->add_flag("--force", bopt.force, "Run every stage even if nothing changed");
  std::string build_dir;
  build_cmd->add_option("--build-dir", build_dir, "Write artefacts here instead of build/ beside the project file");
  build_cmd->add_flag("--json", bopt.json, "Print the reports as JSON");
  build_cmd->add_option("--until", bopt.until, "Stop after this stage: data, train, optimize, deploy or simulate");

  cli::DeployCommands deploy_cmds;
  deploy_cmds.add(app);
  cli::ActCommands act_cmds;
  act_cmds.add(app);
  cli::GatewayCommands gateway_cmds;
  gateway_cmds.add(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "tinyml: error: " << e.what() << "\n";
    std::cerr << "Run with --help for usage.\n";
    return 2;
  }

  try {
    if (*inspect) return cmd_inspect(inspect_files, inspect_csv, inspect_label, inspect_group, inspect_json);
    if (*clean) return cmd_clean(cf, clean_csv);
    if (*split) return cmd_split(sf, split_csv);
    if (*merge_cmd) return cmd_merge(mf, merge_csv);
    if (*eval_cmd) return cmd_eval(eval_model, eval_data, eval_json, eval_min_accuracy, eval_int8);
    if (*train_stage_cmd.cmd) return train_stage_cmd.run("train", "[model] section (nor [knn], [tree], [forest] or [anomaly])");
    if (*optimize_stage_cmd.cmd) return optimize_stage_cmd.run("optimize", "[optimize] section");
    if (*deploy_stage_cmd.cmd) return deploy_stage_cmd.run("deploy", "[deploy] section");
    if (*deploy_cmds.export_cmd) return deploy_cmds.run_export();
    if (*deploy_cmds.verify_cmd) return deploy_cmds.run_verify();
    if (*act_cmds.simulate_cmd) return act_cmds.run_simulate();
    if (*gateway_cmds.device_cmd) return gateway_cmds.run_device();
    if (*gateway_cmds.gateway_cmd) return gateway_cmds.run_gateway();
    if (*build_cmd) {
      Project p = load_project(project_file);
      if (!build_dir.empty()) p.build_dir = build_dir;
      bopt.progress = ::isatty(STDOUT_FILENO) != 0;
      return build(p, bopt, std::cout);
    }
  } catch (const InputError& e) {
    std::cerr << "tinyml: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tinyml: failure: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
