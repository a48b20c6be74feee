// A model is a chain of layers; an Add layer also takes the output of an earlier layer
// (residual blocks). Losses and optimizers for training it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tinyml/nn/layers.hpp"

namespace tinyml::nn {

class Model {
 public:
  Shape input_shape;
  std::vector<std::unique_ptr<Layer>> layers;

  // Checks every layer's shapes and creates the parameters (seeded, deterministic).
  void build(const Shape& input, std::uint64_t seed);
  // Runs the layers, keeping every activation for backward(); returns the output.
  const Tensor& forward(const Tensor& x, bool training);
  // After forward(): node k's values (0 = the input, i + 1 = layer i's output).
  const Tensor& activation(std::size_t node) const { return acts_.at(node); }
  // Back-propagates the gradient of the loss with respect to the output; parameter
  // gradients accumulate (call zero_grad() between steps). Returns d loss / d input, or
  // an empty tensor when input_grad is false (training needs no input gradient).
  const Tensor& backward(const Tensor& dy, bool input_grad = true);
  std::vector<Param*> params();
  void zero_grad();
  std::size_t parameter_count();
  std::uint64_t macs() const;
  Shape output_shape() const { return layers.empty() ? input_shape : layers.back()->out_shape; }
  std::string summary();
  // One row per layer: what it is, its output shape, parameters and MACs per inference.
  struct LayerInfo {
    std::string kind, description;
    Shape output;
    std::size_t parameters = 0;
    std::uint64_t macs = 0;
  };
  std::vector<LayerInfo> layer_info();
  // The node layer i reads: 0 = the model input, k + 1 = layer k's output.
  std::size_t source(std::size_t i) const;

  // Fake quantization for quantization-aware training: when set for node k, forward()
  // rounds node k's values to the int8 grid of `scale` and `zero_point` (clamping to
  // [-128, 127]) in place, and backward() passes the gradient only where the value was
  // inside the grid's range (the straight-through estimator, clipped). Empty: off.
  struct FakeQuant {
    float scale = 1.0f;
    std::int32_t zero_point = 0;
  };
  std::vector<std::optional<FakeQuant>> fake_quant;  // per node: [0] input, [i + 1] layer i

 private:
  void apply_fake_quant(std::size_t node);
  std::vector<Tensor> acts_, grads_;
  std::vector<bool> has_grad_;
  Tensor scratch_;
  std::vector<std::vector<std::uint8_t>> inside_;  // per node: the fake-quant pass-through mask
};

// Mean softmax cross-entropy over the batch, from logits. Class weights scale each
// sample's loss (the mean is taken over the weights); label smoothing s mixes the one-hot
// target with the uniform distribution: (1 - s) * onehot + s / K. Writes d loss / d logits.
float softmax_cross_entropy(const Tensor& logits, const std::vector<std::int32_t>& labels,
                            const std::vector<float>& class_weights, float smoothing, Tensor& dlogits);

// Mean squared error over every value; writes d loss / d pred.
float mean_squared_error(const Tensor& pred, const std::vector<float>& target, Tensor& dpred);

struct OptimizerConfig {
  std::string kind = "adam";  // sgd | adam | adamw
  float lr = 1e-3f, momentum = 0.9f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-7f;
  float weight_decay = 0.0f;  // sgd and adam: L2 added to the gradient; adamw: decoupled
};

class Optimizer {
 public:
  explicit Optimizer(OptimizerConfig c) : c_(std::move(c)) {}
  void step(const std::vector<Param*>& params, float lr);

 private:
  OptimizerConfig c_;
  std::vector<std::vector<float>> m_, v_;
  long t_ = 0;
};

}  // namespace tinyml::nn
