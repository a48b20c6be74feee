// The train stage: the data stage's datasets in, a trained model file and an honest
// evaluation (validation and test, per class) out.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include "tinyml/error.hpp"
#include "tinyml/eval/metrics.hpp"
#include "tinyml/io.hpp"
#include "tinyml/nn/model_file.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml/version.hpp"

namespace tinyml {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string bar(double frac, int width) {
  int full = static_cast<int>(frac * width + 0.5);
  std::string s(static_cast<std::size_t>(std::clamp(full, 0, width)), '#');
  s.resize(static_cast<std::size_t>(width), '.');
  return s;
}

void train_network(const Project& p, const data::Dataset* parts, TrainStageResult& r, std::ostream& os, bool tty) {
  const data::Dataset& train = parts[0];
  r.has_model = true;
  const nn::Shape input = nn::input_shape_for(train);
  const int classes = static_cast<int>(train.classes.size());
  r.model.layers = p.model_layers.is_array() ? p.model_layers
                                             : nn::preset_layers(p.model_preset, input, classes, p.model_width);
  r.model.model = nn::make_model(r.model.layers, input, p.train.seed);
  if (r.model.model.output_shape() != nn::Shape{classes})
    input_error("{}: the model's output is {} but the data has {} classes: end the layers with a dense layer of {} units",
                p.file.string(), nn::to_string(r.model.model.output_shape()), classes, classes);
  r.model.classes = train.classes;
  r.model.normalization = train.norm;
  std::string summary = r.model.model.summary();
  r.report += fmt::format("model ({}):\n{}", p.model_preset.empty() ? "declared layers" : "preset " + p.model_preset,
                          summary);

  const int epochs = p.train.epochs;
  auto t0 = std::chrono::steady_clock::now();
  nn::BatchCallback on_batch;
  if (tty) {
    on_batch = [&](int epoch, int batch, int batches, float loss, float accuracy) {
      double done = (static_cast<double>(epoch - 1) + static_cast<double>(batch) / batches) / epochs;
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double eta = done > 0 ? elapsed / done - elapsed : 0;
      fmt::print(os, "\r[train] epoch {}/{} [{}] batch {}/{} loss {:.4f} acc {:.4f} ETA {:.0f} s   ", epoch, epochs,
                 bar(static_cast<double>(batch) / batches, 24), batch, batches, loss, accuracy, eta);
      os.flush();
    };
  }
  auto on_epoch = [&](const nn::EpochLog& l, int n) {
    if (tty) fmt::print(os, "\r{:100}\r", "");
    fmt::print(os, "[train] epoch {:>3}/{} lr {:.2e} loss {:.4f} acc {:.4f}", l.epoch, n, l.lr, l.loss, l.accuracy);
    if (l.has_val) fmt::print(os, " | val loss {:.4f} acc {:.4f}", l.val_loss, l.val_accuracy);
    fmt::print(os, " ({:.1f} s)\n", l.seconds);
    os.flush();  // one line per epoch, visible as it happens even through a pipe
  };
  r.result = nn::train_classifier(r.model.model, train, parts[1].size() ? &parts[1] : nullptr, p.train, on_epoch,
                                  on_batch);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.report += fmt::format("trained {} epochs in {:.1f} s{}; best epoch {} (weights kept from it)\n",
                          r.result.history.size(), seconds, r.result.stopped_early ? " (stopped early)" : "",
                          r.result.best_epoch);
  json hist = json::array();
  for (const auto& l : r.result.history)
    hist.push_back({{"epoch", l.epoch}, {"lr", l.lr}, {"loss", l.loss}, {"accuracy", l.accuracy},
                    {"val_loss", l.val_loss}, {"val_accuracy", l.val_accuracy}, {"seconds", l.seconds}});
  r.report_json["history"] = hist;
  r.report_json["best_epoch"] = r.result.best_epoch;
  r.report_json["parameters"] = r.model.model.parameter_count();
  r.report_json["macs"] = r.model.model.macs();
  r.report_json["layers"] = r.model.layers;
  json rows = json::array();
  for (const auto& l : r.model.model.layer_info())
    rows.push_back({{"type", l.kind}, {"description", l.description}, {"output", l.output},
                    {"parameters", l.parameters}, {"macs", l.macs}});
  r.report_json["input_shape"] = r.model.model.input_shape;
  r.report_json["layer_summary"] = rows;
  for (int k = 1; k < 3; ++k) {
    const data::Dataset& d = parts[k];
    if (d.size() == 0) continue;
    eval::Evaluation e = eval::evaluate(d.y, nn::predict(r.model.model, d), d.classes);
    r.report += part_report("", k, e);
    r.report_json[data::kPartNames[k]] = e.json();
    (k == 1 ? r.validation : r.test) = e;
  }
  r.model.metadata = {{"tinyml_version", kVersion},
                      {"epochs_run", r.result.history.size()},
                      {"best_epoch", r.result.best_epoch},
                      {"test_accuracy", r.test.accuracy}};
}

}  // namespace

std::string part_report(const std::string& prefix, int part, const eval::Evaluation& e) {
  std::string s = fmt::format("{}{}: {}", prefix, data::kPartNames[part], e.text());
  for (const auto& c : e.classes)
    if (c.support == 0)
      s += fmt::format("  note: {} holds no '{}' sample: its recall is undefined; {} false alarms of {}\n",
                       data::kPartNames[part], c.name, c.predicted, e.samples);
  return s;
}

TrainStageResult run_train_stage(const Project& p, const fs::path& data_dir, std::ostream& os, bool tty) {
  TrainStageResult r;
  data::Dataset parts[3];
  for (int k = 0; k < 3; ++k) parts[k] = data::load_dataset(data_dir / fmt::format("{}.tds", data::kPartNames[k]));
  const data::Dataset& train = parts[0];
  if (train.classes.empty())
    input_error("{}: the train stage trains classifiers and detectors of classes and needs labels: set data.label",
                p.file.string());
  if (p.model_enabled) train_network(p, parts, r, os, tty);
  train_classic_models(p, parts, r, os);
  return r;
}

}  // namespace tinyml
