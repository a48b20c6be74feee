// The optimize stage: the trained network in, pruned (when asked) and quantized to int8
// out, with float and int8 measured side by side by running the int8 model through the
// device runtime's kernels.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tinyml/error.hpp"
#include "tinyml/io.hpp"
#include "tinyml/optimize/calibrate.hpp"
#include "tinyml/optimize/int8_model.hpp"
#include "tinyml/optimize/prune.hpp"
#include "tinyml/optimize/qat.hpp"
#include "tinyml/optimize/structured.hpp"
#include "tinyml/pipeline.hpp"
#include "tinyml_rt.h"

namespace tinyml {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace optimize;

namespace {

struct Int8Result {
  std::vector<RangeObserver> calibration;  // of the float model it was made from
  Int8Model model;
  eval::Evaluation part[3];
  std::vector<std::int8_t> outputs[3];  // every sample's int8 outputs, per split
  bool qat = false;
};

// Calibrates, quantizes and runs validation and test once through the runtime's kernels,
// keeping the outputs (for the comparison with float) as well as the evaluation.
Int8Result quantize_and_measure(nn::Model& m, const data::Dataset* parts, const Project::Optimize& o) {
  Int8Result r;
  r.calibration = observe(m, parts[0], o.calibration_samples);
  r.model = quantize_model(m, r.calibration, parse_range_method(o.calibration), parts[0].norm);
  for (int k = 1; k < 3; ++k) {
    const data::Dataset& d = parts[k];
    if (!d.size()) continue;
    std::vector<std::int32_t> pred(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
      const auto y = run_int8(r.model, data::raw_sample(d, i).data());
      pred[i] = static_cast<std::int32_t>(std::max_element(y.begin(), y.end()) - y.begin());
      r.outputs[k].insert(r.outputs[k].end(), y.begin(), y.end());
    }
    r.part[k] = eval::evaluate(d.y, pred, d.classes);
  }
  return r;
}

// The split the decisions are made on: validation, or test when there is no validation.
int decision_part(const data::Dataset* parts) { return parts[1].size() ? 1 : 2; }

// Dense int8 bytes, and the bytes as stored (sparse fully connected rows where smaller).
std::pair<std::size_t, std::size_t> weight_bytes(const Int8Model& q) {
  std::size_t dense = 0;
  for (const Int8Op& op : q.ops) dense += op.weights.size() + 4 * op.bias.size();
  return {dense, q.weight_bytes()};
}

}  // namespace

OptimizeStageResult run_optimize_stage(const Project& p, const fs::path& data_dir, const fs::path& train_dir,
                                       std::ostream& os) {
  OptimizeStageResult r;
  data::Dataset parts[3];
  for (int k = 0; k < 3; ++k) parts[k] = data::load_dataset(data_dir / fmt::format("{}.tds", data::kPartNames[k]));
  r.model = nn::load_model(train_dir / "model.tmm");
  nn::Model& m = r.model.model;
  const auto& o = p.optimize;
  const int dp = decision_part(parts);
  json rj;
  std::string& rep = r.report;

  auto evaluate_float = [&](nn::Model& model) {
    std::array<eval::Evaluation, 3> e;
    for (int k = 1; k < 3; ++k)
      if (parts[k].size()) e[static_cast<std::size_t>(k)] = eval::evaluate(parts[k].y, nn::predict(model, parts[k]), parts[k].classes);
    return e;
  };
  const auto trained = evaluate_float(m);
  const std::size_t params0 = m.parameter_count();
  const std::uint64_t macs0 = m.macs();
  rep += fmt::format("trained network: {} parameters, {} MACs; {} accuracy {:.4f}\n", params0, macs0,
                     data::kPartNames[dp], trained[static_cast<std::size_t>(dp)].accuracy);

  nn::TrainConfig ft = p.train;
  ft.optimizer.lr = o.lr;
  ft.schedule = "constant";
  ft.warmup_epochs = 0;
  ft.epochs = o.prune_epochs;
  if (o.structured_macs < 1) {
    const double f = fraction_for_macs(r.model.layers, m, o.structured_macs);
    if (f == 0) {
      rep += fmt::format("structured pruning: no cut of this model's filters reaches {:.0f}% of its MACs\n",
                         100 * o.structured_macs);
    } else {
      StructuredResult s = prune_filters(r.model.layers, m, f);
      for (const auto& c : s.changes) rep += fmt::format("structured pruning: {}\n", c);
      r.model.layers = s.layers;
      r.model.model = std::move(s.model);
      fmt::print(os, "[optimize] fine-tuning after structured pruning ({} epochs)\n", ft.epochs);
      nn::train_classifier(m, parts[0], parts[1].size() ? &parts[1] : nullptr, ft);
      rj["structured"] = {{"fraction", f}, {"macs_before", macs0}, {"macs_after", m.macs()}, {"changes", s.changes}};
    }
  }
  if (o.prune > 0) {
    PruneOptions po;
    po.sparsity = o.prune;
    po.train = ft;
    fmt::print(os, "[optimize] pruning to {:.0f}% sparsity with fine-tuning ({} epochs)\n", 100 * o.prune, ft.epochs);
    prune_and_finetune(m, parts[0], parts[1].size() ? &parts[1] : nullptr, po);
    json layers = json::array();
    for (const auto& l : weight_sparsity(m)) {
      rep += fmt::format("sparsity: layer {}: {} of {} weights are zero\n", l.layer, l.zeros, l.weights);
      layers.push_back({{"layer", l.layer}, {"weights", l.weights}, {"zeros", l.zeros}});
    }
    rj["sparsity"] = {{"target", o.prune}, {"layers", layers}};
  }
  const auto before_quant = evaluate_float(m);
  const double float_acc = before_quant[static_cast<std::size_t>(dp)].accuracy;
  if (o.prune > 0 || o.structured_macs < 1) {
    json cost = json::object();
    for (int k = 1; k < 3; ++k) {
      if (!parts[k].size()) continue;
      const double a = trained[static_cast<std::size_t>(k)].accuracy, b = before_quant[static_cast<std::size_t>(k)].accuracy;
      rep += fmt::format("pruning cost: {} accuracy {:.4f} -> {:.4f} ({:+.2f} points), float\n", data::kPartNames[k], a, b,
                         100 * (b - a));
      cost[data::kPartNames[k]] = {{"before", a}, {"after", b}, {"points", 100 * (b - a)}};
    }
    rj["pruning_cost"] = cost;
  }

  Int8Result q = quantize_and_measure(m, parts, o);
  double drop = 100 * (float_acc - q.part[dp].accuracy);
  rep += fmt::format("int8 ({} calibration on {} training samples): {} accuracy {:.4f}, {:+.2f} points from float\n",
                     o.calibration, std::min(o.calibration_samples, parts[0].size()), data::kPartNames[dp],
                     q.part[dp].accuracy, 100 * (q.part[dp].accuracy - float_acc));
  if (drop > o.max_drop && o.qat_epochs > 0) {
    fmt::print(os, "[optimize] int8 loses {:.2f} points (limit {}): quantization-aware fine-tuning ({} epochs)\n", drop,
               o.max_drop, o.qat_epochs);
    nn::TrainConfig qc = ft;
    qc.epochs = o.qat_epochs;
    std::vector<std::size_t> nodes = {0};
    for (const PlannedOp& op : plan_ops(m)) nodes.push_back(op.output_node);
    auto grids = activation_grids(q.calibration, nodes, parse_range_method(o.calibration));
    qat_finetune(m, grids, parts[0], parts[1].size() ? &parts[1] : nullptr, qc);
    m.fake_quant.clear();
    Int8Result qq = quantize_and_measure(m, parts, o);
    const double qdrop = 100 * (float_acc - qq.part[dp].accuracy);
    rep += fmt::format("int8 after quantization-aware fine-tuning: {} accuracy {:.4f}, {:+.2f} points from float\n",
                       data::kPartNames[dp], qq.part[dp].accuracy, 100 * (qq.part[dp].accuracy - float_acc));
    if (qdrop < drop) {
      q = std::move(qq);
      q.qat = true;
      drop = qdrop;
    }
  }
  if (drop > o.max_drop)
    rep += fmt::format("note: int8 stays {:.2f} points below float, more than max_drop = {}\n", drop, o.max_drop);

  // Float and int8 side by side, and how far the int8 outputs are from the float ones.
  rep += fmt::format("{:<12} {:>14} {:>14} {:>10} {:>10}\n", "", "float acc", "int8 acc", "float F1", "int8 F1");
  json sides = json::object();
  for (int k = 1; k < 3; ++k) {
    if (!parts[k].size()) continue;
    const auto& f = before_quant[static_cast<std::size_t>(k)];
    const auto& i = q.part[k];
    rep += fmt::format("{:<12} {:>14.4f} {:>14.4f} {:>10.4f} {:>10.4f}\n", data::kPartNames[k], f.accuracy, i.accuracy,
                       f.macro_f1, i.macro_f1);
    for (std::size_t c = 0; c < f.classes.size(); ++c)
      rep += fmt::format("  {:<10} {:>14} {:>14} {:>10.4f} {:>10.4f}\n", f.classes[c].name, "", "", f.classes[c].f1,
                         i.classes[c].f1);
    sides[data::kPartNames[k]] = {{"float", f.json()}, {"int8", i.json()}};
  }
  {
    const int pt = parts[2].size() ? 2 : dp;
    const data::Dataset& t = parts[pt];
    const OutputDifference od = output_difference(m, q.model, t, &q.outputs[pt]);
    rep += fmt::format("int8 outputs vs float (logits, {} samples): max difference {:.4f}, mean {:.4f} "
                       "(one output step is {:.4f})\n",
                       t.size(), od.max, od.mean, od.step);
    rj["output_difference"] = {{"max", od.max}, {"mean", od.mean}, {"step", od.step}};
  }
  const auto [dense, encoded] = weight_bytes(q.model);
  rep += fmt::format("size: {} parameters ({} bytes as float32), {} MACs; int8 weights and biases {} bytes, {} bytes "
                     "with sparse rows where smaller (fully connected layers)\n",
                     m.parameter_count(), 4 * m.parameter_count(), m.macs(), dense, encoded);
  rep += fmt::format("{} operations:", q.model.ops.size());
  for (const Int8Op& op : q.model.ops)
    rep += fmt::format(" {}{}", to_string(op.kind),
                       op.fused == Fused::ReLU ? "+relu" : op.fused == Fused::ReLU6 ? "+relu6" : "");
  rep += "\n";
  rj["float_trained"] = {{"parameters", params0}, {"macs", macs0}, {"accuracy", trained[static_cast<std::size_t>(dp)].accuracy}};
  rj["parameters"] = m.parameter_count();
  rj["macs"] = m.macs();
  rj["int8_weight_bytes"] = dense;
  rj["int8_weight_bytes_encoded"] = encoded;
  rj["float32_weight_bytes"] = 4 * m.parameter_count();
  rj["calibration"] = o.calibration;
  rj["qat"] = q.qat;
  rj["accuracy_drop_points"] = drop;
  rj["decision_split"] = data::kPartNames[dp];
  rj["evaluation"] = sides;
  r.report_json = rj;
  r.int8.model = std::move(q.model);
  r.int8.classes = r.model.classes;
  r.int8.normalization = r.model.normalization;
  r.model.metadata["optimized"] = {{"pruned", o.prune}, {"structured_macs", o.structured_macs}, {"qat", q.qat}};
  return r;
}

}  // namespace tinyml
