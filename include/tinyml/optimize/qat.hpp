// Quantization-aware fine-tuning: the network trains on with its weights and activations
// rounded to the int8 grids the device will use (fake quantization), so it learns to
// live with the rounding; gradients pass the rounding straight through (clipped outside
// the grid's range). The float weights stay the master copy and are what the model holds
// afterwards; quantizing them per channel gives the weights the training saw.
#pragma once

#include <vector>

#include "tinyml/nn/train.hpp"
#include "tinyml/optimize/calibrate.hpp"

namespace tinyml::optimize {

// The fake quantization of each node from calibrated ranges: for every node in `nodes`
// (0 = the model input, i + 1 = layer i's output) the asymmetric int8 grid of its chosen
// range; other nodes are left in float.
std::vector<std::optional<nn::Model::FakeQuant>> activation_grids(const std::vector<RangeObserver>& obs,
                                                                  const std::vector<std::size_t>& nodes,
                                                                  RangeMethod method);

// Weights of every dense, conv and depthwise layer, rounded to their per-channel int8 grid
// (quantize_weights, then back to float).
void fake_quantize_weights(nn::Model& m);

// Fine-tunes `m` with the activation grids set on the model and the weights fake-quantized
// for every forward pass (the float weights are restored before each optimizer step).
// Leaves the model's fake_quant set, so forward() afterwards simulates the int8 model's
// activations (call fake_quantize_weights on a copy to simulate its weights too).
nn::TrainResult qat_finetune(nn::Model& m, std::vector<std::optional<nn::Model::FakeQuant>> grids,
                             const data::Dataset& train, const data::Dataset* val, nn::TrainConfig cfg);

}  // namespace tinyml::optimize
