// The classic half of the train stage: the KNN baseline (with prototype reduction), the
// decision tree, the random forest and the anomaly detector of the project file, each
// trained on the data stage's normalized windows (flattened), reported on the validation
// and test sets, and kept as a model file (.tmc).
#include <algorithm>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tinyml/classic/model_file.hpp"
#include "tinyml/classic/prototypes.hpp"
#include "tinyml/error.hpp"
#include "tinyml/nn/autoencoder.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/pipeline.hpp"

namespace tinyml {
using nlohmann::json;

namespace {

// Evaluates a classifier on the validation and test sets: report lines "<tag> <part>: ..."
// and the evaluations under j["validation"] / j["test"].
template <typename Predict>
void report_classifier(const std::string& tag, const data::Dataset* parts, Predict predict, std::string& report,
                       json& j) {
  for (int k = 1; k < 3; ++k) {
    const data::Dataset& d = parts[k];
    if (d.size() == 0) continue;
    const eval::Evaluation e = eval::evaluate(d.y, predict(d), d.classes);
    report += part_report(tag + " ", k, e);
    j[data::kPartNames[k]] = e.json();
  }
}

std::string depth_text(std::size_t max_depth) { return max_depth ? std::to_string(max_depth) : "none"; }

json tree_options_json(const classic::TreeOptions& o) {
  return {{"criterion", classic::to_string(o.criterion)}, {"max_depth", o.max_depth},
          {"min_samples_split", o.min_samples_split}, {"min_samples_leaf", o.min_samples_leaf},
          {"max_features", o.max_features}};
}

classic::ClassicModelFile model_file(const data::Dataset& train, json metadata) {
  classic::ClassicModelFile f;
  f.describe_data(train);
  f.metadata = std::move(metadata);
  return f;
}

// Fits a tree or forest; a complaint of the library names the file and the section.
template <typename Model>
void fit_section(Model& m, const data::Dataset& train, const Project& p, const char* section) {
  try {
    m.fit(train);
  } catch (const InputError& e) {
    input_error("{}: [{}]: {}", p.file.string(), section, e.what());
  }
}

// Reports a trained classifier on the validation and test sets (under report_json[name]
// with the entries of `j`) and keeps it as <name>.tmc.
template <typename Model>
void keep_classifier(const std::string& name, Model m, const data::Dataset* parts, json j, json metadata,
                     TrainStageResult& r) {
  report_classifier(name, parts, [&](const data::Dataset& d) { return m.predict(d); }, r.report, j);
  classic::ClassicModelFile f = model_file(parts[0], std::move(metadata));
  f.model = std::move(m);
  r.classic.emplace_back(name + ".tmc", std::move(f));
  r.report_json[name] = std::move(j);
}

void train_knn(const Project& p, const data::Dataset* parts, TrainStageResult& r) {
  const data::Dataset& train = parts[0];
  classic::KnnOptions ko;
  ko.k = static_cast<std::size_t>(p.knn_k);
  ko.metric = classic::parse_metric(p.knn_metric);
  ko.weights = classic::parse_weights(p.knn_weights);
  ko.threads = 2;
  json kj = {{"k", p.knn_k}, {"metric", p.knn_metric}, {"weights", p.knn_weights}};
  data::Dataset reduced;
  const data::Dataset* kept = &train;
  std::string reduction = "every training window";
  if (p.knn_prototypes == "condensed" || p.knn_prototypes == "kmeans" || p.knn_flash_bytes) {
    const data::Dataset& val = parts[1];
    if (val.size() == 0)
      input_error("{}: [knn] prototypes and flash_bytes choose by validation accuracy, but the validation split is "
                  "empty",
                  p.file.string());
    classic::PrototypeTableOptions to;
    to.knn = ko;
    if (p.knn_per_class) to.per_class.push_back(p.knn_per_class);
    std::vector<classic::PrototypeRow> table = classic::prototype_table(train, val, to);
    // The rows [knn] allows: all of them when only flash_bytes is given.
    std::vector<classic::PrototypeRow> allowed;
    const std::string method = p.knn_prototypes == "none" ? "full" : p.knn_prototypes;
    for (const auto& row : table)
      if (p.knn_prototypes.empty() ||
          (row.method == method && (!p.knn_per_class || row.per_class == p.knn_per_class)))
        allowed.push_back(row);
    classic::PrototypeRow chosen;
    try {
      chosen = classic::best_within_budget(allowed, p.knn_flash_bytes ? p.knn_flash_bytes : SIZE_MAX);
    } catch (const InputError& e) {
      input_error("{}: [knn] {}{}", p.file.string(), e.what(),
                  p.knn_prototypes.empty() ? "" : fmt::format(" with prototypes = \"{}\"", p.knn_prototypes));
    }
    r.report += fmt::format("knn prototypes (validation accuracy of the k {} {} KNN, {} votes, on each reduction):\n{}",
                            p.knn_k, p.knn_metric, p.knn_weights, classic::format_prototype_table(table));
    for (std::size_t c = 0; c < val.classes.size(); ++c)
      if (val.class_counts()[c] == 0)
        r.report += fmt::format("  note: validation holds no '{}' sample: these accuracies do not see it\n",
                                val.classes[c]);
    reduction = chosen.method == "full"      ? "every training window"
                : chosen.method == "condensed" ? "Hart's condensed set"
                                               : fmt::format("k-means, {} per class", chosen.per_class);
    r.report += fmt::format("knn keeps {} ({} prototypes, {} bytes){}\n", reduction, chosen.prototypes, chosen.bytes,
                            p.knn_flash_bytes ? fmt::format(": the most accurate within flash_bytes = {}",
                                                            p.knn_flash_bytes)
                                              : std::string());
    json tj = json::array();
    for (const auto& row : table)
      tj.push_back({{"method", row.method}, {"per_class", row.per_class}, {"prototypes", row.prototypes},
                    {"bytes", row.bytes}, {"accuracy", row.accuracy},
                    {"chosen", row.method == chosen.method && row.per_class == chosen.per_class}});
    kj["prototypes"] = {{"table", tj}, {"method", chosen.method}, {"per_class", chosen.per_class},
                        {"flash_bytes", p.knn_flash_bytes}};
    if (chosen.method != "full") {
      reduced = classic::prototypes_of(train, chosen, to);
      kept = &reduced;
    }
  }
  ko.k = std::min(ko.k, kept->size());
  classic::Knn knn(ko);
  knn.fit(*kept);
  r.report += fmt::format("knn (k {}{}, {}, {} votes): {} prototypes, {} bytes as float32\n", ko.k,
                          ko.k < static_cast<std::size_t>(p.knn_k) ? fmt::format(", lowered from {} to the prototypes", p.knn_k)
                                                                   : std::string(),
                          p.knn_metric, p.knn_weights, knn.size(), knn.model_bytes());
  kj["k"] = ko.k;
  kj["stored"] = knn.size();
  kj["bytes"] = knn.model_bytes();
  keep_classifier("knn", std::move(knn), parts, std::move(kj), {{"prototypes", reduction}}, r);
}

void train_tree(const Project& p, const data::Dataset* parts, TrainStageResult& r) {
  classic::DecisionTree tree(p.tree);
  fit_section(tree, parts[0], p, "tree");
  r.report += fmt::format("tree ({}, max depth {}, min samples split {} / leaf {}): {} nodes, {} leaves, depth {}\n",
                          classic::to_string(p.tree.criterion), depth_text(p.tree.max_depth),
                          p.tree.min_samples_split, p.tree.min_samples_leaf, tree.nodes().size(), tree.leaves(),
                          tree.depth());
  json tj = tree_options_json(p.tree);
  tj["nodes"] = tree.nodes().size();
  tj["leaves"] = tree.leaves();
  tj["depth"] = tree.depth();
  keep_classifier("tree", std::move(tree), parts, std::move(tj), json::object(), r);
}

void train_forest(const Project& p, const data::Dataset* parts, TrainStageResult& r) {
  classic::RandomForest forest(p.forest);
  fit_section(forest, parts[0], p, "forest");
  std::size_t nodes = 0, depth = 0;
  for (const auto& t : forest.trees()) {
    nodes += t.nodes().size();
    depth = std::max(depth, t.depth());
  }
  const std::size_t features = parts[0].sample_size();
  const std::size_t tried =
      p.forest.tree.max_features
          ? p.forest.tree.max_features
          : std::max<std::size_t>(1, static_cast<std::size_t>(std::sqrt(static_cast<double>(features))));
  r.report += fmt::format("forest ({} trees, {}, {}, {} of {} features per split, max depth {}): {} nodes in all, "
                          "deepest tree {}\n",
                          p.forest.n_trees, p.forest.bootstrap ? "bootstrap samples" : "every sample",
                          classic::to_string(p.forest.tree.criterion), tried, features,
                          depth_text(p.forest.tree.max_depth), nodes, depth);
  json fj = tree_options_json(p.forest.tree);
  fj["trees"] = p.forest.n_trees;
  fj["bootstrap"] = p.forest.bootstrap;
  fj["features_per_split"] = tried;
  fj["nodes"] = nodes;
  fj["depth"] = depth;
  keep_classifier("forest", std::move(forest), parts, std::move(fj), json::object(), r);
}

void train_anomaly(const Project& p, const data::Dataset* parts, TrainStageResult& r, std::ostream& os) {
  const Project::Anomaly& c = p.anomaly;
  const data::Dataset& train = parts[0];
  const std::string file = p.file.string();
  std::int32_t normal = 0;
  if (!c.normal_class.empty()) {
    auto it = std::find(train.classes.begin(), train.classes.end(), c.normal_class);
    if (it == train.classes.end())
      input_error("{}: anomaly.normal_class: '{}' is not a class of the data (classes: {})", file, c.normal_class,
                  fmt::join(train.classes, ", "));
    normal = static_cast<std::int32_t>(it - train.classes.begin());
  }
  const std::string name = train.classes[static_cast<std::size_t>(normal)];
  const data::Dataset normal_train = classic::samples_of_class(train, normal);
  const data::Dataset normal_val = classic::samples_of_class(parts[1], normal);
  if (normal_train.size() == 0)
    input_error("{}: [anomaly]: the training split holds no '{}' sample to fit the detector on", file, name);
  if (normal_val.size() == 0)
    input_error("{}: [anomaly]: the validation split holds no '{}' sample, so the threshold cannot be calibrated "
                "for target_fpr = {}; put normal data in the validation split",
                file, name, c.target_fpr);

  classic::AnomalyDetector a;
  a.method = c.method;
  a.normal_class = normal;
  a.target_fpr = c.target_fpr;
  json aj = {{"method", c.method}, {"normal_class", name}, {"target_fpr", c.target_fpr},
             {"fit_samples", normal_train.size()}, {"calibration_samples", normal_val.size()}};
  std::string how;
  try {
    if (c.method == "kmeans") {
      classic::KMeansOptions ko;
      ko.k = c.clusters;
      ko.seed = c.seed;
      a.kmeans.fit(normal_train, ko);
      how = fmt::format("k-means distance, {} clusters", c.clusters);
      aj["clusters"] = c.clusters;
    } else {
      const nn::Shape input = nn::input_shape_for(train);
      a.autoencoder.layers = nn::preset_layers("autoencoder", input, static_cast<int>(train.classes.size()), c.width);
      a.autoencoder.model = nn::make_model(a.autoencoder.layers, input, c.seed);
      a.autoencoder.normalization = train.norm;
      nn::AutoencoderConfig ac;
      ac.epochs = c.epochs;
      ac.batch_size = c.batch_size;
      ac.seed = c.seed;
      ac.optimizer.lr = c.lr;
      const nn::TrainResult tr = nn::train_autoencoder(
          a.autoencoder.model, normal_train, &normal_val, ac, [&](const nn::EpochLog& l, int n) {
            fmt::print(os, "[train] autoencoder epoch {:>3}/{} loss {:.5f} | normal validation loss {:.5f} ({:.1f} s)\n",
                       l.epoch, n, l.loss, l.val_loss, l.seconds);
            os.flush();
          });
      how = fmt::format("autoencoder reconstruction error, width {}, {} parameters, best epoch {} of {}", c.width,
                        a.autoencoder.model.parameter_count(), tr.best_epoch, tr.history.size());
      aj["width"] = c.width;
      aj["epochs"] = tr.history.size();
      aj["best_epoch"] = tr.best_epoch;
      aj["parameters"] = a.autoencoder.model.parameter_count();
    }
    a.threshold = classic::threshold_for_fpr(a.score(normal_val), c.target_fpr);
  } catch (const InputError& e) {
    input_error("{}: [anomaly]: {}", file, e.what());
  }
  a.kmeans.set_threshold(a.threshold);
  aj["threshold"] = a.threshold;
  r.report += fmt::format("anomaly ({}): fitted on the {} '{}' training samples; threshold {:.6g}, calibrated on the "
                          "{} '{}' validation samples for a false-positive rate of at most {}\n",
                          how, normal_train.size(), name, a.threshold, normal_val.size(), name, c.target_fpr);
  for (int k = 1; k < 3; ++k) {
    const data::Dataset& d = parts[k];
    if (d.size() == 0) continue;
    const classic::DetectionMetrics m =
        classic::detection_metrics(a.score(d), classic::anomaly_labels(d, normal), a.threshold);
    r.report += fmt::format("anomaly {}: {}", data::kPartNames[k], m.text());
    if (k == 1 && m.anomalies == 0)
      r.report += "  note: the validation split holds normal samples only: it calibrates the threshold; detection is "
                  "measured on the test split\n";
    if (k == 2 && m.normal && m.false_positive_rate > c.target_fpr)
      r.report += fmt::format("  note: above target_fpr = {}: the threshold was calibrated on the validation "
                              "normal samples; test normal samples unlike them (or too few to measure {} "
                              "well) raise the rate\n",
                              c.target_fpr, c.target_fpr);
    aj[data::kPartNames[k]] = m.json();
  }
  classic::ClassicModelFile f = model_file(train, json::object());
  f.model = std::move(a);
  r.classic.emplace_back("anomaly.tmc", std::move(f));
  r.report_json["anomaly"] = aj;
}

}  // namespace

void train_classic_models(const Project& p, const data::Dataset* parts, TrainStageResult& r, std::ostream& os) {
  if (p.knn_enabled) train_knn(p, parts, r);
  if (p.tree_enabled) train_tree(p, parts, r);
  if (p.forest_enabled) train_forest(p, parts, r);
  if (p.anomaly_enabled) train_anomaly(p, parts, r, os);
}

}  // namespace tinyml
