#include "tinyml/project.hpp"
#include "tinyml/deploy/boards.hpp"
#include "tinyml/deploy/export.hpp"
#include "tinyml/deploy/firmware.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "section.hpp"
#include "../act/rules_config.hpp"

namespace tinyml {
namespace fs = std::filesystem;

namespace {

using project_detail::Section;
using project_detail::type_name;
using project_detail::where;

// TOML values as JSON (layer declarations are kept and saved as JSON).
nlohmann::json to_json(const toml::node& n) {
  if (auto t = n.as_table()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto&& [k, v] : *t) j[std::string(k.str())] = to_json(v);
    return j;
  }
  if (auto a = n.as_array()) {
    nlohmann::json j = nlohmann::json::array();
    for (auto&& e : *a) j.push_back(to_json(e));
    return j;
  }
  if (auto v = n.as_string()) return std::string(v->get());
  if (auto v = n.as_integer()) return v->get();
  if (auto v = n.as_floating_point()) return v->get();
  if (auto v = n.as_boolean()) return v->get();
  return nullptr;
}

data::ColumnType parse_column_type(std::string_view s) {
  for (auto t : {data::ColumnType::Number, data::ColumnType::Integer, data::ColumnType::Categorical,
                 data::ColumnType::Timestamp})
    if (s == data::to_string(t)) return t;
  throw std::invalid_argument("expected one of number, integer, categorical, timestamp");
}

SourceConfig parse_source(const toml::table& t, std::size_t index, const std::string& file,
                          const fs::path& dir) {
  Section s(t, fmt::format("sources[{}]", index), file,
            {"name", "path", "format", "labels", "part", "delimiter", "header", "skip_rows", "missing", "sentinels",
             "time_column", "time_format", "index_period_s", "types", "infer_rows"});
  SourceConfig src;
  auto path = s.str("path");
  if (!path) s.fail("path", "every source needs a path");
  src.path = dir / *path;
  src.name = s.str("name").value_or(fs::path(*path).stem().string());
  std::string ext = fs::path(*path).extension().string();
  if (ext == ".gz") ext = fs::path(*path).stem().extension().string();
  const std::string fname_lower = fs::path(*path).filename().string();
  std::string guess = ext == ".wav"                                             ? "wav"
                      : (fname_lower.find("-ubyte") != std::string::npos || ext == ".idx") ? "idx"
                                                                                           : "csv";
  src.format = s.str("format").value_or(guess);
  if (src.format != "csv" && src.format != "wav" && src.format != "idx")
    s.fail("format", fmt::format("'{}' is not valid: expected csv, wav or idx", src.format));
  if (auto l = s.str("labels")) src.labels = dir / *l;
  if (auto v = s.str("part")) {
    if (*v != "test") s.fail("part", fmt::format("'{}' is not valid: the only fixed part is \"test\"", *v));
    if (src.format != "idx") s.fail("part", "only IDX sources can be marked as the test part");
    src.part = *v;
  }
  if (auto d = s.str("delimiter")) {
    std::string v = *d == "\\t" ? "\t" : *d;
    if (v.size() != 1 || v == "\"" || v == "\n" || v == "\r")
      s.fail("delimiter", "must be one character (use \"\\t\" for a tab)");
    src.csv.delimiter = v[0];
  }
  if (auto h = s.boolean("header")) src.csv.header = *h;
  if (auto n = s.integer("skip_rows", 0, 1'000'000)) src.csv.skip_rows = static_cast<std::size_t>(*n);
  if (auto m = s.strings("missing")) src.csv.missing = *m;
  if (auto m = s.numbers("sentinels")) src.csv.sentinels = *m;
  if (auto c = s.str("time_column")) src.csv.time_column = *c;
  if (auto f = s.choice("time_format", data::parse_time_format)) src.csv.time_format = *f;
  if (auto p = s.number("index_period_s", 1e-9, 1e12)) src.csv.index_period_s = *p;
  if (src.csv.time_format == data::TimeFormat::Index && !s.has("index_period_s"))
    s.fail("time_format", "time_format = \"index\" needs index_period_s (seconds per step)");
  if (auto n = s.integer("infer_rows", 1, 100'000'000)) src.csv.infer_rows = static_cast<std::size_t>(*n);
  if (const toml::table* types = s.table("types")) {
    Section ts(*types, s.key("types"), file);
    for (auto&& [k, v] : *types) {
      std::string col(k.str());
      if (auto ty = ts.choice(col, parse_column_type)) src.csv.types[col] = *ty;
    }
  }
  return src;
}

data::MissingRule parse_rule(const Section& s, std::string_view k, const data::MissingRule& base) {
  data::MissingRule r = base;
  const toml::node* n = s.node(k);
  if (n->is_string()) {
    r.method = *s.choice(k, data::parse_missing_method);
  } else if (n->is_table()) {
    Section rs(*n->as_table(), s.key(k), s.file(), {"method", "value", "max_gap_s"});
    auto m = rs.choice("method", data::parse_missing_method);
    if (!m) rs.fail("method", "a missing-value rule needs a method");
    r.method = *m;
    if (auto v = rs.number("value", -1e300, 1e300)) r.constant = *v;
    if (auto g = rs.number("max_gap_s", 0, 1e300)) r.max_gap = *g;
    if (r.method == data::MissingMethod::Constant && !rs.has("value"))
      rs.fail("method", "method 'constant' needs a value");
  } else {
    input_error("{}: key '{}' must be a method name or a table {{ method = ..., value = ... }}",
                where(s.file(), n->source()), s.key(k));
  }
  return r;
}

}  // namespace

Project parse_project(std::string_view text, const fs::path& file) {
  const std::string fname = file.string();
  toml::table root;
  try {
    root = toml::parse(text, fname);
  } catch (const toml::parse_error& e) {
    input_error("{}:{}:{}: {}", fname, e.source().begin.line, e.source().begin.column,
                e.description());
  }
  Section top(root, "", fname,
              {"project", "sources", "merge", "data", "clean", "window", "normalize", "split", "model",
               "train", "knn", "tree", "forest", "anomaly", "optimize", "deploy", "target", "actuators", "rules",
               "simulate"});
  Project p;
  p.file = file;
  p.dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  p.build_dir = p.dir / "build";
  if (const toml::table* t = top.table("project")) {
    Section s(*t, "project", fname, {"name", "build_dir"});
    p.name = s.str("name").value_or("");
    if (auto b = s.str("build_dir")) p.build_dir = p.dir / *b;
  }
  if (p.name.empty()) p.name = p.dir.filename().string();

  const toml::node* srcs = root.get("sources");
  if (!srcs) input_error("{}: no [[sources]]: the project needs at least one data source", fname);
  if (!srcs->is_array_of_tables())
    input_error("{}: key 'sources' must be an array of tables ([[sources]])",
                where(fname, srcs->source()));
  std::set<std::string> names;
  std::size_t i = 0;
  for (auto&& e : *srcs->as_array()) {
    p.sources.push_back(parse_source(*e.as_table(), i, fname, p.dir));
    if (!names.insert(p.sources.back().name).second)
      input_error("{}: two sources are named '{}'; give each a distinct name",
                  where(fname, e.source()), p.sources.back().name);
    ++i;
  }
  if (p.sources.empty()) input_error("{}: [[sources]] is empty", fname);

  if (const toml::table* t = top.table("data")) {
    Section s(*t, "data", fname, {"label", "group", "features", "class_names"});
    p.columns.label = s.str("label").value_or("");
    p.columns.group = s.str("group").value_or("");
    p.columns.features = s.strings("features").value_or(std::vector<std::string>{});
    p.columns.class_names = s.strings("class_names").value_or(std::vector<std::string>{});
  }
  p.merge.group_column = p.columns.group;
  p.clean.group_column = p.columns.group;
  if (!p.columns.label.empty()) {
    p.clean.label_columns = {p.columns.label};
    p.merge.label_columns = {p.columns.label};
  }
  p.split.group_column = p.columns.group;

  if (const toml::table* t = top.table("merge")) {
    Section s(*t, "merge", fname, {"method", "tolerance_s", "period_s", "aggregate", "source_column"});
    if (auto m = s.choice("method", data::parse_merge_method)) p.merge.method = *m;
    if (auto v = s.number("tolerance_s", 0, 1e12)) p.merge.tolerance_s = *v;
    if (auto v = s.number("period_s", 1e-9, 1e12)) p.merge.period_s = *v;
    if (auto a = s.choice("aggregate", data::parse_aggregate)) p.merge.aggregate = *a;
    p.merge.source_column = s.str("source_column").value_or("");
    if (p.merge.method == data::MergeMethod::Resample && !s.has("period_s"))
      s.fail("method", "method 'resample' needs period_s");
  }

  if (const toml::table* t = top.table("clean")) {
    p.clean_enabled = true;
    Section s(*t, "clean", fname, {"duplicates", "repeated_timestamps", "missing", "outliers"});
    if (auto d = s.str("duplicates")) {
      if (*d != "drop" && *d != "keep") s.fail("duplicates", fmt::format("'{}' is not valid: expected drop or keep", *d));
      p.clean.drop_duplicates = *d == "drop";
    }
    if (auto r = s.choice("repeated_timestamps", data::parse_repeated_time)) p.clean.repeated_timestamps = *r;
    if (const toml::node* m = s.node("missing")) {
      if (m->is_string()) {
        p.clean.missing_default.method = *s.choice("missing", data::parse_missing_method);
      } else if (m->is_table()) {
        Section ms(*m->as_table(), "clean.missing", fname);
        data::MissingRule base;
        if (auto g = ms.number("max_gap_s", 0, 1e300)) base.max_gap = *g;
        if (auto v = ms.number("value", -1e300, 1e300)) base.constant = *v;
        p.clean.missing_default = base;
        if (ms.has("default")) p.clean.missing_default = parse_rule(ms, "default", base);
        for (auto&& [k, v] : *m->as_table()) {
          if (k == "default" || k == "max_gap_s" || k == "value") continue;
          p.clean.missing[std::string(k.str())] = parse_rule(ms, k.str(), base);
        }
      } else {
        input_error("{}: key 'clean.missing' must be a method name or a table",
                    where(fname, m->source()));
      }
    }
    if (const toml::table* o = s.table("outliers")) {
      Section os(*o, "clean.outliers", fname, {"method", "low", "high", "z", "columns"});
      if (auto m = os.choice("method", data::parse_outlier_method)) p.clean.outliers = *m;
      if (auto v = os.number("low", 0, 100)) p.clean.low_percentile = *v;
      if (auto v = os.number("high", 0, 100)) p.clean.high_percentile = *v;
      if (p.clean.low_percentile >= p.clean.high_percentile)
        os.fail("low", "must be below clean.outliers.high");
      if (auto v = os.number("z", 0.1, 1e6)) p.clean.z = *v;
      p.clean.outlier_columns = os.strings("columns").value_or(std::vector<std::string>{});
    }
  }

  if (const toml::table* t = top.table("window")) {
    p.window_enabled = true;
    Section s(*t, "window", fname, {"length", "stride", "label_rule", "max_gap_s"});
    if (auto v = s.integer("length", 1, 1'000'000)) p.window.length = static_cast<std::size_t>(*v);
    p.window.stride = p.window.length;
    if (auto v = s.integer("stride", 1, 1'000'000)) p.window.stride = static_cast<std::size_t>(*v);
    if (auto r = s.choice("label_rule", data::parse_label_rule)) p.window.label_rule = *r;
    if (auto v = s.number("max_gap_s", 0, 1e12)) p.window.max_gap_s = *v;
  }

  if (const toml::table* t = top.table("normalize")) {
    Section s(*t, "normalize", fname, {"method"});
    p.normalize = s.str("method").value_or("zscore");
    if (p.normalize != "zscore" && p.normalize != "minmax" && p.normalize != "none")
      s.fail("method", fmt::format("'{}' is not valid: expected zscore, minmax or none", p.normalize));
  }

  if (const toml::table* t = top.table("split")) {
    Section s(*t, "split", fname, {"method", "fractions", "seed", "train", "validation", "test"});
    if (auto m = s.choice("method", data::parse_split_method)) p.split.method = *m;
    if (auto f = s.numbers("fractions")) {
      if (f->size() != 3 || (*f)[0] < 0 || (*f)[1] < 0 || (*f)[2] < 0 || (*f)[0] + (*f)[1] + (*f)[2] <= 0)
        s.fail("fractions", "must be three non-negative numbers [train, validation, test]");
      for (int k = 0; k < 3; ++k) p.split.fractions[k] = (*f)[static_cast<std::size_t>(k)];
    }
    if (auto v = s.integer("seed", 0, INT64_MAX)) p.split.seed = static_cast<std::uint64_t>(*v);
    for (int k = 0; k < 3; ++k)
      if (auto g = s.values_as_text(data::kPartNames[k])) p.split.groups[k] = *g;
    bool lists = s.has("train") || s.has("validation") || s.has("test");
    if (lists && p.split.method != data::SplitMethod::Group)
      s.fail("train", "group lists need split.method = \"group\"");
    if ((p.split.method == data::SplitMethod::Group) && p.columns.group.empty())
      s.fail("method", "a group split needs data.group (the column naming the device or session)");
  }

  if (const toml::table* t = top.table("model")) {
    p.model_enabled = true;
    Section s(*t, "model", fname, {"preset", "width", "layers"});
    p.model_preset = s.str("preset").value_or("");
    if (auto w = s.number("width", 0.01, 100)) p.model_width = *w;
    if (s.has("layers")) {
      const toml::node* n = s.node("layers");
      if (!n->is_array()) s.fail("layers", "must be an array of tables, e.g. [{ type = \"dense\", units = 16 }]");
      p.model_layers = to_json(*n);
      if (!p.model_preset.empty()) s.fail("layers", "give either preset or layers, not both");
    } else if (p.model_preset.empty()) {
      s.fail("preset", "[model] needs a preset (mlp, cnn1d, cnn2d, ds-cnn, resnet8) or a layers list");
    }
  }
  if (const toml::table* t = top.table("train")) {
    Section s(*t, "train", fname,
              {"epochs", "batch_size", "seed", "optimizer", "lr", "momentum", "weight_decay", "schedule",
               "step_every", "step_gamma", "warmup_epochs", "patience", "keep_best", "class_weights",
               "label_smoothing", "augment_shift", "augment_scale", "augment_noise"});
    nn::TrainConfig& c = p.train;
    if (auto v = s.integer("epochs", 1, 100000)) c.epochs = static_cast<int>(*v);
    if (auto v = s.integer("batch_size", 1, 1000000)) c.batch_size = static_cast<int>(*v);
    if (auto v = s.integer("seed", 0, INT64_MAX)) c.seed = static_cast<std::uint64_t>(*v);
    if (auto v = s.str("optimizer")) {
      if (*v != "sgd" && *v != "adam" && *v != "adamw")
        s.fail("optimizer", fmt::format("'{}' is not valid: expected sgd, adam or adamw", *v));
      c.optimizer.kind = *v;
    }
    if (auto v = s.number("lr", 1e-9, 10)) c.optimizer.lr = static_cast<float>(*v);
    if (auto v = s.number("momentum", 0, 0.9999)) c.optimizer.momentum = static_cast<float>(*v);
    if (auto v = s.number("weight_decay", 0, 1)) c.optimizer.weight_decay = static_cast<float>(*v);
    if (auto v = s.str("schedule")) {
      if (*v != "constant" && *v != "step" && *v != "cosine")
        s.fail("schedule", fmt::format("'{}' is not valid: expected constant, step or cosine", *v));
      c.schedule = *v;
    }
    if (auto v = s.integer("step_every", 1, 100000)) c.step_every = static_cast<int>(*v);
    if (auto v = s.number("step_gamma", 1e-6, 1)) c.step_gamma = static_cast<float>(*v);
    if (auto v = s.integer("warmup_epochs", 0, 100000)) c.warmup_epochs = static_cast<int>(*v);
    if (auto v = s.integer("patience", 0, 100000)) c.patience = static_cast<int>(*v);
    if (auto v = s.boolean("keep_best")) c.keep_best = *v;
    if (auto v = s.str("class_weights")) {
      if (*v != "none" && *v != "balanced")
        s.fail("class_weights", fmt::format("'{}' is not valid: expected none or balanced", *v));
      c.class_weights = *v;
    }
    if (auto v = s.number("label_smoothing", 0, 0.5)) c.label_smoothing = static_cast<float>(*v);
    if (auto v = s.integer("augment_shift", 0, 100000)) c.augment_shift = static_cast<int>(*v);
    if (auto v = s.number("augment_scale", 0, 1)) c.augment_scale = static_cast<float>(*v);
    if (auto v = s.number("augment_noise", 0, 100)) c.augment_noise = static_cast<float>(*v);
  }

  if (const toml::table* t = top.table("knn")) {
    p.knn_enabled = true;
    Section s(*t, "knn", fname, {"k", "metric", "weights", "prototypes", "per_class", "flash_bytes"});
    if (auto v = s.integer("k", 1, 100000)) p.knn_k = static_cast<int>(*v);
    if (auto v = s.str("metric")) {
      if (*v != "l2" && *v != "euclidean" && *v != "l1" && *v != "manhattan" && *v != "cosine")
        s.fail("metric", fmt::format("'{}' is not valid: expected l2, l1 or cosine", *v));
      p.knn_metric = *v;
    }
    if (auto v = s.str("weights")) {
      if (*v != "uniform" && *v != "distance")
        s.fail("weights", fmt::format("'{}' is not valid: expected uniform or distance", *v));
      p.knn_weights = *v;
    }
    if (auto v = s.str("prototypes")) {
      if (*v != "none" && *v != "condensed" && *v != "kmeans")
        s.fail("prototypes", fmt::format("'{}' is not valid: expected none, condensed or kmeans", *v));
      p.knn_prototypes = *v;
    }
    if (auto v = s.integer("per_class", 1, 1'000'000)) {
      if (p.knn_prototypes != "kmeans") s.fail("per_class", "is for prototypes = \"kmeans\"");
      p.knn_per_class = static_cast<std::size_t>(*v);
    }
    if (auto v = s.integer("flash_bytes", 1, INT64_MAX)) p.knn_flash_bytes = static_cast<std::size_t>(*v);
  }

  // [tree] and [forest] share the keys of a tree; a forest adds its own.
  const auto tree_keys = [&](const Section& s, classic::TreeOptions& o) {
    if (auto v = s.str("criterion")) {
      if (*v != "gini" && *v != "entropy")
        s.fail("criterion", fmt::format("'{}' is not valid: expected gini or entropy", *v));
      o.criterion = classic::parse_criterion(*v);
    }
    if (auto v = s.integer("max_depth", 0, 100'000)) o.max_depth = static_cast<std::size_t>(*v);
    if (auto v = s.integer("min_samples_split", 2, INT64_MAX)) o.min_samples_split = static_cast<std::size_t>(*v);
    if (auto v = s.integer("min_samples_leaf", 1, INT64_MAX)) o.min_samples_leaf = static_cast<std::size_t>(*v);
    if (auto v = s.integer("max_features", 0, 100'000'000)) o.max_features = static_cast<std::size_t>(*v);
  };
  if (const toml::table* t = top.table("tree")) {
    p.tree_enabled = true;
    Section s(*t, "tree", fname,
              {"criterion", "max_depth", "min_samples_split", "min_samples_leaf", "max_features", "seed"});
    tree_keys(s, p.tree);
    if (auto v = s.integer("seed", 0, INT64_MAX)) p.tree.seed = static_cast<std::uint64_t>(*v);
  }
  if (const toml::table* t = top.table("forest")) {
    p.forest_enabled = true;
    Section s(*t, "forest", fname,
              {"trees", "bootstrap", "criterion", "max_depth", "min_samples_split", "min_samples_leaf",
               "max_features", "seed"});
    tree_keys(s, p.forest.tree);
    if (auto v = s.integer("trees", 1, 100'000)) p.forest.n_trees = static_cast<std::size_t>(*v);
    if (auto v = s.boolean("bootstrap")) p.forest.bootstrap = *v;
    if (auto v = s.integer("seed", 0, INT64_MAX)) p.forest.seed = static_cast<std::uint64_t>(*v);
    p.forest.threads = 2;
  }

  if (const toml::table* t = top.table("anomaly")) {
    p.anomaly_enabled = true;
    Section s(*t, "anomaly", fname,
              {"method", "normal_class", "target_fpr", "clusters", "seed", "width", "epochs", "batch_size", "lr"});
    Project::Anomaly& a = p.anomaly;
    if (auto v = s.str("method")) {
      if (*v != "kmeans" && *v != "autoencoder")
        s.fail("method", fmt::format("'{}' is not valid: expected kmeans or autoencoder", *v));
      a.method = *v;
    }
    a.normal_class = s.str("normal_class").value_or("");
    if (auto v = s.number("target_fpr", 0, 1)) a.target_fpr = *v;
    if (auto v = s.integer("seed", 0, INT64_MAX)) a.seed = static_cast<std::uint64_t>(*v);
    for (const char* k : {"clusters"})
      if (s.has(k) && a.method != "kmeans") s.fail(k, "is for method = \"kmeans\"");
    for (const char* k : {"width", "epochs", "batch_size", "lr"})
      if (s.has(k) && a.method != "autoencoder") s.fail(k, "is for method = \"autoencoder\"");
    if (auto v = s.integer("clusters", 1, 1'000'000)) a.clusters = static_cast<std::size_t>(*v);
    if (auto v = s.number("width", 0.01, 100)) a.width = *v;
    if (auto v = s.integer("epochs", 1, 100'000)) a.epochs = static_cast<int>(*v);
    if (auto v = s.integer("batch_size", 1, 1'000'000)) a.batch_size = static_cast<int>(*v);
    if (auto v = s.number("lr", 1e-9, 10)) a.lr = static_cast<float>(*v);
  }

  if (const toml::table* t = top.table("optimize")) {
    p.optimize_enabled = true;
    Section s(*t, "optimize", fname,
              {"calibration", "calibration_samples", "max_drop", "qat_epochs", "lr", "prune", "structured_macs",
               "prune_epochs"});
    auto& o = p.optimize;
    if (auto v = s.str("calibration")) {
      if (*v != "minmax" && *v != "percentile" && *v != "mse")
        s.fail("calibration", fmt::format("'{}' is not valid: expected minmax, percentile or mse", *v));
      o.calibration = *v;
    }
    if (auto v = s.integer("calibration_samples", 1, 10'000'000)) o.calibration_samples = static_cast<std::size_t>(*v);
    if (auto v = s.number("max_drop", 0, 100)) o.max_drop = *v;
    if (auto v = s.integer("qat_epochs", 0, 10'000)) o.qat_epochs = static_cast<int>(*v);
    if (auto v = s.number("lr", 1e-9, 10)) o.lr = static_cast<float>(*v);
    if (auto v = s.number("prune", 0, 0.95)) o.prune = *v;
    if (auto v = s.number("structured_macs", 0.01, 1)) o.structured_macs = *v;
    if (auto v = s.integer("prune_epochs", 1, 10'000)) o.prune_epochs = static_cast<int>(*v);
    if (!p.model_enabled) s.fail("calibration", "[optimize] quantizes the [model] network: the project has no [model]");
  }

  if (const toml::table* t = top.table("deploy")) {
    p.deploy_enabled = true;
    Section s(*t, "deploy", fname, {"name", "verify", "samples", "reuse_input"});
    auto& d = p.deploy;
    if (auto v = s.str("name")) {
      try {
        deploy::check_export_name(*v);
      } catch (const InputError& e) {
        s.fail("name", e.what());
      }
      d.name = *v;
    }
    if (auto v = s.strings("verify")) {
      for (const auto& t2 : *v)
        if (t2 != "host" && t2 != "all") {
          const auto cores = deploy::target_names();
          if (std::find(cores.begin(), cores.end(), t2) == cores.end())
            s.fail("verify", fmt::format("'{}' is not a target: expected host, all or one of {}", t2,
                                         fmt::join(cores, ", ")));
        }
      d.verify = *v;
    }
    if (auto v = s.integer("samples", 1, 64)) d.samples = static_cast<std::size_t>(*v);
    if (auto v = s.boolean("reuse_input")) d.reuse_input = *v;
    if (!p.optimize_enabled) s.fail("name", "[deploy] exports the int8 model: the project has no [optimize]");
  }
  if (const toml::table* t = top.table("target")) {
    p.target_enabled = true;
    Section s(*t, "target", fname, {"board", "core", "flash_kb", "ram_kb", "clock_mhz", "latency_ms"});
    auto& g = p.target;
    if (auto v = s.str("board")) {
      try {
        const deploy::Board& b = deploy::find_board(*v);
        g.board = b.name;
        g.core = b.core;
        g.flash_kb = b.flash_kb;
        g.ram_kb = b.ram_kb;
        g.clock_mhz = b.clock_mhz;
      } catch (const InputError& e) {
        s.fail("board", e.what());
      }
    }
    if (auto v = s.str("core")) {
      const auto cores = deploy::target_names();
      if (std::find(cores.begin(), cores.end(), *v) == cores.end())
        s.fail("core", fmt::format("'{}' is not an emulated core: expected one of {}", *v, fmt::join(cores, ", ")));
      g.core = *v;
    }
    if (auto v = s.number("flash_kb", 0.001, 1e7)) g.flash_kb = *v;
    if (auto v = s.number("ram_kb", 0.001, 1e7)) g.ram_kb = *v;
    if (auto v = s.number("clock_mhz", 0.001, 1e5)) g.clock_mhz = *v;
    if (auto v = s.number("latency_ms", 0.000001, 1e9)) g.latency_ms = *v;
    if (g.core.empty()) s.fail("core", "[target] needs a board or a core (the emulated CPU that measures the model)");
    if (g.latency_ms > 0 && g.clock_mhz <= 0) s.fail("latency_ms", "a latency budget needs clock_mhz (or a board)");
    if (!p.deploy_enabled) s.fail("core", "[target] budgets the deployed model: the project has no [deploy]");
  }

  p.act = act::parse_act(root, fname, p.columns.class_names, p.columns.features,
                         p.anomaly_enabled && p.anomaly.method == "kmeans");
  if (p.act.enabled() && !p.deploy_enabled) {
    const toml::node* n = root.get("rules");
    input_error("{}: [[rules]] run in the exported code: the project has no [deploy]", where(fname, n->source()));
  }

  // Canonical text of each stage's configuration.
  toml::table data_part = root, train_part, optimize_part, deploy_part, simulate_part;
  for (const char* k : {"model", "train", "knn", "tree", "forest", "anomaly"}) {
    data_part.erase(k);
    if (root.contains(k)) train_part.insert(k, *root.get(k));
  }
  data_part.erase("optimize");
  if (root.contains("optimize")) optimize_part.insert("optimize", *root.get("optimize"));
  for (const char* k : {"deploy", "target", "actuators", "rules"}) {
    data_part.erase(k);
    if (root.contains(k)) deploy_part.insert(k, *root.get(k));
  }
  data_part.erase("simulate");
  if (root.contains("simulate")) simulate_part.insert("simulate", *root.get("simulate"));
  std::ostringstream os, ts, zs, ds, ss;
  os << data_part;
  ts << train_part;
  zs << optimize_part;
  ds << deploy_part;
  p.data_config = os.str();
  p.train_config = ts.str();
  p.optimize_config = zs.str();
  p.deploy_config = ds.str();
  ss << simulate_part;
  p.simulate_config = ss.str();
  return p;
}

Project load_project(const fs::path& file) {
  std::string text = read_file(file);
  return parse_project(text, file);
}

}  // namespace tinyml
