#include "tinyml/optimize/prune.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/optimize/fold.hpp"

namespace tinyml::optimize {

namespace {

// The weight tensors that pruning touches: the first parameter of dense, conv and
// depthwise layers, as indices into Model::params().
std::vector<bool> prunable(nn::Model& m) {
  std::vector<bool> out;
  for (auto& l : m.layers) {
    const bool w = has_weights(*l);
    auto ps = l->params();
    for (std::size_t k = 0; k < ps.size(); ++k) out.push_back(w && k == 0);
  }
  return out;
}

}  // namespace

Masks magnitude_masks(nn::Model& m, double sparsity) {
  if (!(sparsity >= 0 && sparsity < 1)) input_error("pruning sparsity {} is not in [0, 1)", sparsity);
  auto ps = m.params();
  auto which = prunable(m);
  Masks masks(ps.size());
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (!which[i]) continue;
    const auto& w = ps[i]->w;
    const auto zeros = static_cast<std::size_t>(std::floor(sparsity * static_cast<double>(w.size())));
    std::vector<std::size_t> order(w.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return std::fabs(w[a]) < std::fabs(w[b]); });
    masks[i].assign(w.size(), 1);
    for (std::size_t k = 0; k < zeros; ++k) masks[i][order[k]] = 0;
  }
  return masks;
}

void apply_masks(nn::Model& m, const Masks& masks) {
  auto ps = m.params();
  for (std::size_t i = 0; i < ps.size() && i < masks.size(); ++i)
    for (std::size_t k = 0; k < masks[i].size(); ++k)
      if (!masks[i][k]) ps[i]->w[k] = 0.0f;
}

double sparsity_at(const PruneOptions& o, int epoch) {
  const int ramp_epochs = std::max(1, static_cast<int>(std::lround(o.ramp * o.train.epochs)));
  if (epoch >= ramp_epochs - 1) return o.sparsity;
  const double t = static_cast<double>(epoch + 1) / ramp_epochs;
  return o.sparsity - o.sparsity * std::pow(1.0 - t, 3.0);
}

std::vector<LayerSparsity> weight_sparsity(nn::Model& m) {
  std::vector<LayerSparsity> out;
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    auto& l = *m.layers[i];
    if (!has_weights(l)) continue;
    const auto& w = l.params()[0]->w;
    out.push_back({fmt::format("{} {}", i + 1, l.kind()), w.size(),
                   static_cast<std::size_t>(std::count(w.begin(), w.end(), 0.0f))});
  }
  return out;
}

nn::TrainResult prune_and_finetune(nn::Model& m, const data::Dataset& train, const data::Dataset* val,
                                   const PruneOptions& o, const nn::EpochCallback& on_epoch) {
  Masks masks = magnitude_masks(m, sparsity_at(o, 0));
  apply_masks(m, masks);
  nn::TrainConfig c = o.train;
  c.keep_best = false;  // an earlier epoch is denser than the target
  c.patience = 0;
  // After every step the pruned weights go back to zero; at the first step of each epoch
  // the masks are recomputed for that epoch's sparsity. Pruned weights are zero, the
  // smallest of all, so they stay pruned and the sparsity only grows.
  int mask_epoch = 1;
  auto on_batch = [&](int epoch, int, int, float, float) {
    if (epoch != mask_epoch) {
      mask_epoch = epoch;
      masks = magnitude_masks(m, sparsity_at(o, epoch - 1));
    }
    apply_masks(m, masks);
  };
  return nn::train_classifier(m, train, val, c, on_epoch, on_batch);
}

}  // namespace tinyml::optimize
