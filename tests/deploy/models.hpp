// Int8 models for the deploy tests: random graphs with random weights (every operation
// kind, side branches, residual adds, reshapes, element-wise chains) and a small network
// trained on scikit-learn's digits and quantized.
#pragma once

#include <cstdint>
#include <vector>

#include "digits.hpp"
#include "tinyml/nn/spec.hpp"
#include "tinyml/nn/train.hpp"
#include "tinyml/optimize/int8_file.hpp"
#include "tinyml/optimize/sparse.hpp"
#include "tinyml_rt.h"

namespace deploy_test {

using tinyml::optimize::Int8Model;
using tinyml::optimize::Int8Op;
using tinyml::optimize::OpKind;
using tinyml::optimize::QParams;

// A random model: an input of [h, w, c] or [n], then 3 to 12 operations, each reading the
// latest tensor or (one time in four) an earlier one, so some tensors live long and some
// outputs are never read again. Weights, biases and quantization are random but valid.
inline Int8Model random_model(std::uint64_t seed) {
  tinyml::data::Rng rng(seed);
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(rng.below(static_cast<std::uint64_t>(hi - lo + 1))); };
  auto fresh = [&] { return QParams{0.01f + 0.09f * static_cast<float>(rng.below(1000)) / 1000.0f, pick(-20, 20)}; };
  Int8Model m;
  auto tensor = [&](std::vector<int> shape, QParams q) {
    m.tensors.push_back({std::move(shape), q});
    return m.tensors.size() - 1;
  };
  if (rng.below(4) == 0) tensor({3}, fresh());  // a tensor no operation touches
  m.input = rng.below(3) ? tensor({pick(2, 6), pick(2, 6), pick(1, 4)}, fresh()) : tensor({pick(4, 40)}, fresh());
  std::vector<std::size_t> written = {m.input};
  std::size_t cur = m.input;
  // Random weights for `channels` output channels of `per_channel` weights each.
  auto weigh = [&](Int8Op& op, std::size_t channels, std::size_t per_channel, const QParams& in, const QParams& out) {
    op.weights.resize(channels * per_channel);
    for (auto& w : op.weights) w = static_cast<std::int8_t>(pick(-127, 127));
    op.weight_scales.resize(channels);
    op.bias.resize(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      op.weight_scales[c] = 0.002f + 0.02f * static_cast<float>(rng.below(1000)) / 1000.0f;
      op.bias[c] = pick(-400, 400);
    }
    op.multipliers.resize(channels);
    op.shifts.resize(channels);
    tinyml_rt_prepare_channel_multipliers(in.scale, op.weight_scales.data(), static_cast<std::int32_t>(channels),
                                          out.scale, op.multipliers.data(), op.shifts.data());
    if (rng.below(3) == 0) {
      op.fused = tinyml::optimize::Fused::ReLU;
      tinyml_rt_activation_range(TINYML_RT_ACT_RELU, out.scale, out.zero_point, &op.act_min, &op.act_max);
    }
  };
  auto window = [&](Int8Op& op, int k, int stride, tinyml_rt_padding pad, int h, int w, int& oh, int& ow) {
    op.kh = op.kw = k;
    op.stride_h = op.stride_w = stride;
    tinyml_rt_compute_padding(pad, h, k, stride, 1, &oh, &op.pad_top);
    tinyml_rt_compute_padding(pad, w, k, stride, 1, &ow, &op.pad_left);
  };
  const int ops = pick(3, 12);
  for (int i = 0; i < ops; ++i) {
    Int8Op op;
    op.layer = static_cast<std::size_t>(i);
    op.input = rng.below(4) == 0 ? written[rng.below(written.size())] : cur;
    const std::vector<int> s = m.tensors[op.input].shape;
    const QParams in = m.tensors[op.input].q;
    const bool map = s.size() == 3;
    const int choice = pick(0, 6);
    std::size_t out = 0;
    if (map && choice == 0) {  // convolution, 1x1 or 3x3, stride 1 or 2, SAME
      op.kind = OpKind::Conv2D;
      int oh = 0, ow = 0;
      window(op, rng.below(2) ? 3 : 1, pick(1, 2), TINYML_RT_PADDING_SAME, s[0], s[1], oh, ow);
      const int filters = pick(1, 6);
      op.weight_shape = {filters, op.kh, op.kw, s[2]};
      out = tensor({oh, ow, filters}, fresh());
      weigh(op, static_cast<std::size_t>(filters), static_cast<std::size_t>(op.kh * op.kw * s[2]), in, m.tensors[out].q);
    } else if (map && choice == 1) {  // depthwise 3x3, multiplier 1 or 2
      op.kind = OpKind::DepthwiseConv2D;
      int oh = 0, ow = 0;
      window(op, 3, 1, TINYML_RT_PADDING_SAME, s[0], s[1], oh, ow);
      op.depth_multiplier = pick(1, 2);
      const int channels = s[2] * op.depth_multiplier;
      op.weight_shape = {1, 3, 3, channels};
      out = tensor({oh, ow, channels}, fresh());
      weigh(op, static_cast<std::size_t>(channels), 9, in, m.tensors[out].q);
    } else if (map && choice == 2 && s[0] >= 2 && s[1] >= 2) {  // 2x2 pooling
      op.kind = rng.below(2) ? OpKind::MaxPool : OpKind::AveragePool;
      int oh = 0, ow = 0;
      window(op, 2, 2, TINYML_RT_PADDING_VALID, s[0], s[1], oh, ow);
      out = tensor({oh, ow, s[2]}, in);
    } else if (map && choice == 3) {  // global average (scratch)
      op.kind = OpKind::Mean;
      out = tensor({s[2]}, fresh());
    } else if (choice == 4) {  // residual add with a tensor of the same shape (or itself)
      op.kind = OpKind::Add;
      std::vector<std::size_t> same;
      for (std::size_t t : written)
        if (m.tensors[t].shape == s) same.push_back(t);
      op.input2 = same[rng.below(same.size())];
      if (rng.below(2)) std::swap(op.input, op.input2);
      if (rng.below(3) == 0) op.fused = tinyml::optimize::Fused::ReLU;
      out = tensor(s, fresh());
    } else if (choice == 5) {  // logistic or tanh
      op.kind = rng.below(2) ? OpKind::Logistic : OpKind::Tanh;
      out = tensor(s, op.kind == OpKind::Logistic ? QParams{1.0f / 256.0f, -128} : QParams{1.0f / 128.0f, 0});
    } else if (map && choice == 6) {  // flatten
      op.kind = OpKind::Reshape;
      out = tensor({static_cast<int>(tinyml::nn::numel(s))}, in);
    } else if (!map && choice == 6) {  // a vector seen as a 1x1 feature map
      op.kind = OpKind::Reshape;
      out = tensor({1, 1, s[0]}, in);
    } else {  // fully connected, sometimes on bitmask-sparse rows
      op.kind = OpKind::FullyConnected;
      const int units = pick(1, 24), depth = static_cast<int>(tinyml::nn::numel(s));
      op.weight_shape = {units, depth};
      out = tensor({units}, fresh());
      weigh(op, static_cast<std::size_t>(units), static_cast<std::size_t>(depth), in, m.tensors[out].q);
      if (rng.below(3) == 0) {
        for (std::size_t k = 0; k < op.weights.size(); ++k)
          if (rng.below(10) < 7) op.weights[k] = 0;
        op.sparse_weights = tinyml::optimize::encode_bitmask(op.weights, static_cast<std::size_t>(units));
      }
    }
    op.output = out;
    written.push_back(out);
    cur = out;
    m.ops.push_back(std::move(op));
  }
  m.output = cur;
  tinyml::optimize::fold_input_normalization(m, {});  // raw inputs quantized as they are
  return m;
}

// A small network on the digits, trained for a few epochs and quantized: convolutions,
// a depthwise convolution, a residual add with a fused ReLU, tanh and sigmoid layers (run
// as their own element-wise operations), pooling, a global average (Mean, which needs
// scratch), reshapes and dense layers.
inline tinyml::optimize::Int8File trained_digits_model() {
  using namespace tinyml;
  auto d = testdata::digits();
  nn::Model m = nn::make_model(nlohmann::json::parse(R"([
    {"type": "reshape", "shape": [8, 8, 1]}, {"type": "conv2d", "filters": 8, "kernel": 3}, {"type": "relu"},
    {"type": "depthwise_conv2d", "kernel": 3}, {"type": "relu6"}, {"type": "conv2d", "filters": 8, "kernel": 1},
    {"type": "add", "from": 3}, {"type": "relu"}, {"type": "tanh"}, {"type": "max_pool2d"},
    {"type": "global_average_pool"}, {"type": "dense", "units": 16}, {"type": "sigmoid"},
    {"type": "dense", "units": 10}])"),
                               {8, 8}, 5);
  nn::TrainConfig c;
  c.epochs = 3;
  c.optimizer.lr = 3e-3f;
  nn::train_classifier(m, d[0], &d[1], c);
  optimize::Int8File f;
  f.model = optimize::quantize_model(m, optimize::observe(m, d[0], 300), optimize::RangeMethod::MinMax, d[0].norm);
  f.classes = d[0].classes;
  f.normalization = d[0].norm;
  return f;
}

}  // namespace deploy_test
