// Unstructured magnitude pruning with a gradual schedule and fine-tuning: the smallest
// weights of every dense, conv and depthwise layer are set to zero and kept there while
// the network trains on, the sparsity rising along Zhu and Gupta's cubic schedule
// (s_t = s_f - s_f (1 - t / T)^3) to the target, then held for the remaining epochs.
// Biases and BatchNorm parameters are not pruned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/nn/train.hpp"

namespace tinyml::optimize {

// A 0/1 mask per weight tensor (in Model::params() order; empty for tensors left alone).
using Masks = std::vector<std::vector<std::uint8_t>>;

// Keeps the largest-magnitude weights of each weight tensor so that floor(sparsity * size)
// of them are zero (ties broken by position, so the result is deterministic).
Masks magnitude_masks(nn::Model& m, double sparsity);
void apply_masks(nn::Model& m, const Masks& masks);

struct PruneOptions {
  double sparsity = 0.5;   // the target fraction of zero weights per tensor, in [0, 1)
  double ramp = 0.6;       // the fraction of the epochs over which the sparsity rises
  nn::TrainConfig train;   // fine-tuning: epochs, rate, batch size...
};

// The schedule: the sparsity to hold during epoch `epoch` (0-based) of `epochs`.
double sparsity_at(const PruneOptions& o, int epoch);

struct LayerSparsity {
  std::string layer;  // "3 conv2d"
  std::size_t weights = 0, zeros = 0;
};
std::vector<LayerSparsity> weight_sparsity(nn::Model& m);

// Prunes and fine-tunes `m` in place; the weights kept are those of the last epoch (at
// the target sparsity), not an earlier, denser one.
nn::TrainResult prune_and_finetune(nn::Model& m, const data::Dataset& train, const data::Dataset* val,
                                   const PruneOptions& o, const nn::EpochCallback& on_epoch = {});

}  // namespace tinyml::optimize
