// The float model as the int8 runtime will run it: BatchNorm folded into the convolution
// or dense layer before it, and a ReLU or ReLU6 that follows a weight layer or an add
// fused into it as the output clamp. plan_ops() says which layers become one operation;
// folded_weights() gives that operation's float weights and bias.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "tinyml/nn/model.hpp"

namespace tinyml::optimize {

enum class Fused { None, ReLU, ReLU6 };

// Whether the layer has a weight tensor (dense, conv1d/2d, depthwise): what folding,
// quantization, pruning and fake quantization work on.
bool has_weights(const nn::Layer& l);

// How many layers read each node (as their input, or as an add's second input):
// [0] the model input, [i + 1] layer i's output.
std::vector<int> node_readers(const nn::Model& m);

struct PlannedOp {
  std::size_t layer = 0;                 // the layer that does the work
  std::optional<std::size_t> batchnorm;  // a BatchNorm folded into it
  std::optional<std::size_t> activation;  // a ReLU / ReLU6 fused into it
  Fused fused = Fused::None;
  std::size_t input_node = 0;   // node read (0 = the model input, i + 1 = layer i's output)
  std::size_t output_node = 0;  // node written: the last merged layer's output
};

// One entry per operation, in order. A BatchNorm is folded only into the dense, conv or
// depthwise layer right before it, and an activation fused only into the weight layer
// (or add) right before it, and only when nothing else reads the intermediate output; a
// layer that cannot be merged is an operation of its own.
std::vector<PlannedOp> plan_ops(nn::Model& m);

struct FoldedWeights {
  std::vector<float> w, b;  // the weight layer's layout; one bias per output channel
  std::size_t channels = 0;
  bool channel_last = false;  // depthwise: the output channel is the fastest axis
};

// The weights and bias of op.layer (dense, conv1d/2d or depthwise) with op.batchnorm's
// inference statistics folded in: per output channel c, g = gamma / sqrt(var + eps),
// w' = w * g and b' = (b - mean) * g + beta.
FoldedWeights folded_weights(nn::Model& m, const PlannedOp& op);

}  // namespace tinyml::optimize
