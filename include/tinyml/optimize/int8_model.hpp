// The int8 model: a float network converted by post-training quantization into the
// operations of the device runtime (runtime/include/tinyml_rt.h), with every tensor's
// quantization and every operation's prepared parameters, and run on the host through
// the very kernels the microcontroller runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model.hpp"
#include "tinyml/optimize/calibrate.hpp"
#include "tinyml/optimize/fold.hpp"

namespace tinyml::optimize {

enum class OpKind { Conv2D, DepthwiseConv2D, FullyConnected, MaxPool, AveragePool, Mean, Add, Reshape, Logistic, Tanh };
std::string_view to_string(OpKind k);

struct Int8Tensor {
  std::vector<int> shape;  // per sample, NHWC without the batch: [h, w, c], [w, c] or [n]
  QParams q;
};

struct Int8Op {
  OpKind kind = OpKind::Reshape;
  std::size_t input = 0, input2 = 0, output = 0;  // tensor indices (model nodes)
  std::size_t layer = 0;                          // the float layer it came from
  Fused fused = Fused::None;
  // Windows (conv, depthwise, pooling).
  int kh = 1, kw = 1, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_top = 0, pad_left = 0;
  int depth_multiplier = 1;
  // Weight layers: int8 weights in the runtime's layout, int32 bias, per-channel scales,
  // and the prepared requantization.
  std::vector<int> weight_shape;
  std::vector<std::int8_t> weights;
  std::vector<std::int32_t> bias;
  std::vector<float> weight_scales;
  std::vector<std::int32_t> multipliers, shifts;
  std::int32_t act_min = -128, act_max = 127;
  // Fully connected layers whose bitmask encoding (sparse.hpp) is smaller than the dense
  // bytes: the encoded rows, run by the runtime's sparse kernel (bit-identical results).
  std::vector<std::uint8_t> sparse_weights;
  std::size_t stored_weight_bytes() const { return sparse_weights.empty() ? weights.size() : sparse_weights.size(); }
};

struct Int8Model {
  std::vector<Int8Tensor> tensors;  // one per node of the float model (unused ones too)
  std::vector<Int8Op> ops;
  std::size_t input = 0, output = 0;
  // The data stage's normalization folded into the input quantization (the runtime's
  // tinyml_rt_quantize_affine_f32_s8): raw reading x of feature c = i % input_offset.size()
  // becomes q = clamp(round((x - input_offset[c]) * input_mul[c]) + zero point). The device
  // feeds raw sensor values; without a normalization it is offset 0, multiplier 1 / scale.
  std::vector<float> input_offset, input_mul;
  std::size_t weight_bytes() const;  // weights as stored (dense or sparse) and int32 biases
};

// Post-training quantization: operations from plan_ops (BatchNorm folded, ReLU/ReLU6
// fused), activation ranges from `obs` (observe()) chosen by `method`, per-channel weights.
// Pooling and reshapes keep their input's quantization (the runtime's rule). InputError
// naming the layer for what the runtime cannot run (a lone BatchNorm, ReLU or softmax).
// `norm` is the data stage's normalization, folded into the input quantization.
Int8Model quantize_model(nn::Model& m, const std::vector<RangeObserver>& obs, RangeMethod method,
                         const data::Normalization& norm);

// Sets input_offset / input_mul from `norm` and the input tensor's scale. InputError for a
// normalization that does not fit the input (feature count) or is not finite and positive.
void fold_input_normalization(Int8Model& q, const data::Normalization& norm);

// Runs one RAW sample (sensor readings before normalization, as the device gets them)
// through the runtime's kernels and returns the output tensor's int8 values.
std::vector<std::int8_t> run_int8(const Int8Model& q, const float* raw_sample);
// The same from the int8 input tensor (quantization already done).
std::vector<std::int8_t> run_int8_quantized(const Int8Model& q, const std::int8_t* input);
// The input quantization alone: raw readings -> the int8 input tensor.
std::vector<std::int8_t> quantize_input(const Int8Model& q, const float* raw_sample);
// The predicted class of every sample of a data-stage dataset (normalized values): each
// sample is turned back into raw readings with d.norm and run as the device runs it; the
// class is the largest output (the int8 values order as the real ones do).
std::vector<std::int32_t> predict_int8(const Int8Model& q, const data::Dataset& d);

// How far the int8 outputs (dequantized) are from the float network's, over every output
// of every sample of `d`: the largest and the mean absolute difference, and one output
// step (the output scale) for scale. `int8_outputs`, when given, holds run_int8's outputs
// of every sample in order (so they need not be computed again).
struct OutputDifference {
  double max = 0, mean = 0, step = 0;
  std::size_t samples = 0;
};
OutputDifference output_difference(nn::Model& m, const Int8Model& q, const data::Dataset& d,
                                   const std::vector<std::int8_t>* int8_outputs = nullptr);

}  // namespace tinyml::optimize
