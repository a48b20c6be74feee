// Float layers for training on the PC. Tensors are batch-first and channels-last (NHWC;
// a 1-D signal is [N, 1, W, C]), the layout the int8 runtime uses too. Each layer keeps
// its forward and backward pass side by side; backward accumulates parameter gradients
// and writes the gradient of its input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyml/data/split.hpp"  // Rng

namespace tinyml::nn {

using Shape = std::vector<int>;  // per-sample shape (no batch dimension)
std::string to_string(const Shape& s);
std::size_t numel(const Shape& s);

struct Tensor {
  int n = 0;     // batch size
  Shape shape;   // per-sample shape
  std::vector<float> v;
  std::size_t sample_size() const { return numel(shape); }
  void resize(int batch, const Shape& s) {
    n = batch;
    shape = s;
    v.assign(static_cast<std::size_t>(batch) * numel(s), 0.0f);
  }
  // Like resize(), but the values are left as they are (for outputs written in full).
  void reshape_for(int batch, const Shape& s) {
    n = batch;
    shape = s;
    v.resize(static_cast<std::size_t>(batch) * numel(s));
  }
};

struct Param {
  std::string name;
  std::vector<float> w, g;
  bool decay = true;  // weight decay applies (not to biases or BatchNorm)
};

enum class Padding { Valid, Same };

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;
  // Checks the input shape, creates the parameters and returns the output shape. Throws
  // InputError naming the layer and the reason when the shapes cannot work.
  virtual Shape build(const Shape& in, data::Rng& rng) = 0;
  virtual void forward(const Tensor& x, Tensor& y, bool training) = 0;
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) = 0;
  virtual std::vector<Param*> params() { return {}; }
  virtual std::uint64_t macs() const { return 0; }  // multiply-accumulates per sample
  virtual std::string describe() const { return kind(); }
  Shape in_shape, out_shape;
  // Which output feeds this layer: kPrevious, -1 for the model input, or the index of an
  // earlier layer (projection shortcuts of residual blocks).
  static constexpr int kPrevious = -2;
  int input_from = kPrevious;
  // False when nobody reads the gradient of this layer's input (the first layer while
  // training): backward may then leave dx unset and skip that work.
  bool input_grad = true;
  nlohmann::json spec;  // the declaration it was made from (saved in model files)
};

// Dense: y = W x + b over the flattened input; W is [units][inputs].
class Dense : public Layer {
 public:
  explicit Dense(int units) : units_(units) {}
  std::string kind() const override { return "dense"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  std::vector<Param*> params() override { return {&w_, &b_}; }
  std::uint64_t macs() const override;
  std::string describe() const override;
  Param w_{"weights", {}, {}}, b_{"bias", {}, {}, false};

 private:
  int units_, inputs_ = 0;
};

struct ConvSpec {
  int filters = 8, kh = 3, kw = 3, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  Padding padding = Padding::Same;
  int depth_multiplier = 1;  // depthwise only
};

// Conv2D over [H, W, C]; the kernel is [filters][kh][kw][C] (output, height, width, input).
// Conv1D is Conv2D with kh = 1 on [1, W, C].
class Conv2D : public Layer {
 public:
  explicit Conv2D(ConvSpec s, bool one_d = false) : s_(s), one_d_(one_d) {}
  std::string kind() const override { return one_d_ ? "conv1d" : "conv2d"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  std::vector<Param*> params() override { return {&w_, &b_}; }
  std::uint64_t macs() const override;
  std::string describe() const override;
  const ConvSpec& spec() const { return s_; }
  int pad_top() const { return pt_; }
  int pad_left() const { return pl_; }
  Param w_{"weights", {}, {}}, b_{"bias", {}, {}, false};

 private:
  // The patches of samples [n0, n1) as rows of `cols` (a matrix for the whole batch).
  void im2col(const Tensor& x, std::size_t n0, std::size_t n1, float* cols) const;
  bool pointwise() const;  // 1x1, stride 1: the patches are the input itself
  ConvSpec s_;
  bool one_d_;
  int pt_ = 0, pl_ = 0;
  std::vector<float> cols_, dcols_;  // scratch for the patch matrices
  const float* cols_of_ = nullptr;   // the input whose patches cols_ holds
  int cols_n_ = 0;
};

// Depthwise Conv2D: each input channel c gives depth_multiplier outputs c*m + k; the
// kernel is [kh][kw][C * m].
class DepthwiseConv2D : public Layer {
 public:
  explicit DepthwiseConv2D(ConvSpec s) : s_(s) {}
  std::string kind() const override { return "depthwise_conv2d"; }
  const ConvSpec& spec() const { return s_; }
  int pad_top() const { return pt_; }
  int pad_left() const { return pl_; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  std::vector<Param*> params() override { return {&w_, &b_}; }
  std::uint64_t macs() const override;
  std::string describe() const override;
  Param w_{"weights", {}, {}}, b_{"bias", {}, {}, false};

 private:
  ConvSpec s_;
  int pt_ = 0, pl_ = 0;
};

// Max or average pooling over [H, W, C]; average pooling with "same" padding averages the
// cells inside the input only.
class Pool2D : public Layer {
 public:
  Pool2D(bool max, int ph, int pw, int sh, int sw, Padding p, bool one_d)
      : max_(max), ph_(ph), pw_(pw), sh_(sh), sw_(sw), pad_(p), one_d_(one_d) {}
  std::string kind() const override;
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  std::string describe() const override;
  bool is_max() const { return max_; }
  int pool_h() const { return ph_; }
  int pool_w() const { return pw_; }
  int stride_h() const { return sh_; }
  int stride_w() const { return sw_; }
  int pad_top() const { return pt_; }
  int pad_left() const { return pl_; }

 private:
  bool max_;
  int ph_, pw_, sh_, sw_;
  Padding pad_;
  bool one_d_;
  int pt_ = 0, pl_ = 0;
};

// Mean over H and W: [H, W, C] -> [C].
class GlobalAveragePool : public Layer {
 public:
  std::string kind() const override { return "global_average_pool"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
};

// Batch normalization over the last axis; batch statistics while training, running
// statistics otherwise.
class BatchNorm : public Layer {
 public:
  explicit BatchNorm(float momentum = 0.9f, float eps = 1e-3f) : momentum_(momentum), eps_(eps) {}
  std::string kind() const override { return "batchnorm"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  Param gamma_{"gamma", {}, {}, false}, beta_{"beta", {}, {}, false};
  std::vector<float> running_mean, running_var;
  float eps() const { return eps_; }

 private:
  float momentum_, eps_;
  std::vector<float> mean_, inv_std_;  // of the last training batch
  bool last_training_ = false;
};

enum class Act { ReLU, ReLU6, Tanh, Sigmoid, Softmax };
class Activation : public Layer {
 public:
  explicit Activation(Act a) : a_(a) {}
  std::string kind() const override;
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  Act act() const { return a_; }

 private:
  // Values [b, e) of the output / input gradient (whole rows for softmax).
  void apply(const Tensor& x, Tensor& y, std::size_t b, std::size_t e) const;
  void apply_grad(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx, std::size_t b,
                  std::size_t e) const;
  Act a_;
};

// Inverted dropout: while training, each value is zeroed with probability `rate` and the
// rest scaled by 1 / (1 - rate); identity otherwise.
class Dropout : public Layer {
 public:
  Dropout(float rate, std::uint64_t seed) : rate_(rate), rng_(seed) {}
  std::string kind() const override { return "dropout"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  bool freeze_mask = false;  // reuse the last mask (for gradient checks)

 private:
  float rate_;
  data::Rng rng_;
  std::vector<float> mask_;
};

// Flatten and Reshape change the shape only.
class Reshape : public Layer {
 public:
  explicit Reshape(Shape target, bool flatten = false) : target_(std::move(target)), flatten_(flatten) {}
  std::string kind() const override { return flatten_ ? "flatten" : "reshape"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;

 private:
  Shape target_;
  bool flatten_;
};

// Output = previous output + output of an earlier node (a residual connection). The
// model routes the second input; forward and backward here see it through `other`.
class Add : public Layer {
 public:
  explicit Add(int from_layer) : from(from_layer) {}
  std::string kind() const override { return "add"; }
  Shape build(const Shape& in, data::Rng& rng) override;
  void forward(const Tensor& x, Tensor& y, bool training) override;
  void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) override;
  int from;                       // index of the node whose output is added (-1: model input)
  const Tensor* other = nullptr;  // set by the model before forward
  Tensor d_other;                 // gradient for the other input, read by the model
};

// Output size of a convolution or pooling window along one axis, and the padding before.
int conv_out_size(int in, int k, int stride, int dil, Padding p, int* pad_before);

}  // namespace tinyml::nn
