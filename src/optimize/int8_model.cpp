#include "tinyml/optimize/int8_model.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/optimize/int8_ops.hpp"
#include "tinyml/optimize/sparse.hpp"
#include "tinyml_rt.h"

namespace tinyml::optimize {

std::string_view to_string(OpKind k) {
  switch (k) {
    case OpKind::Conv2D: return "conv2d";
    case OpKind::DepthwiseConv2D: return "depthwise_conv2d";
    case OpKind::FullyConnected: return "fully_connected";
    case OpKind::MaxPool: return "max_pool2d";
    case OpKind::AveragePool: return "average_pool2d";
    case OpKind::Mean: return "mean";
    case OpKind::Add: return "add";
    case OpKind::Reshape: return "reshape";
    case OpKind::Logistic: return "logistic";
    case OpKind::Tanh: return "tanh";
  }
  return "?";
}

std::size_t Int8Model::weight_bytes() const {
  std::size_t n = 0;
  for (const Int8Op& op : ops) n += op.stored_weight_bytes() + 4 * op.bias.size();
  return n;
}

namespace {

// Weights, bias and requantization of a weight layer's operation.
void quantize_weight_op(nn::Model& m, const PlannedOp& p, const QParams& in, const QParams& out, Int8Op& op) {
  FoldedWeights f = folded_weights(m, p);
  QuantizedWeights qw = quantize_weights(f.w, f.channels, f.channel_last);
  op.weights = std::move(qw.q);
  op.weight_scales = std::move(qw.scales);
  op.bias = quantize_bias(f.b, in.scale, op.weight_scales);
  op.multipliers.resize(f.channels);
  op.shifts.resize(f.channels);
  check_status(tinyml_rt_prepare_channel_multipliers(in.scale, op.weight_scales.data(),
                                                     static_cast<int32_t>(f.channels), out.scale,
                                                     op.multipliers.data(), op.shifts.data()),
               op, "the multipliers");
  check_status(tinyml_rt_activation_range(runtime_activation(op.fused), out.scale, out.zero_point,
                                          &op.act_min, &op.act_max),
               op, "the activation range");
}

}  // namespace

void fold_input_normalization(Int8Model& q, const data::Normalization& norm) {
  const Int8Tensor& in = q.tensors.at(q.input);
  const std::size_t n = nn::numel(in.shape);
  const double s = in.q.scale;
  q.input_offset.clear();
  q.input_mul.clear();
  if (norm.method == "none" || norm.offset.empty()) {
    q.input_offset.push_back(0.0f);
    q.input_mul.push_back(static_cast<float>(1.0 / s));
    return;
  }
  const std::size_t nf = norm.offset.size();
  if (norm.scale.size() != nf || n % nf != 0)
    input_error("the normalization has {} features, which do not divide the model's {} input values", nf, n);
  for (std::size_t f = 0; f < nf; ++f) {
    const std::string name = f < norm.features.size() ? norm.features[f] : fmt::format("{}", f + 1);
    const float mul = static_cast<float>(1.0 / (norm.scale[f] * s));
    if (!std::isfinite(norm.offset[f]) || !std::isfinite(static_cast<float>(norm.offset[f])))
      input_error("normalization of feature '{}': offset {} is not a finite float", name, norm.offset[f]);
    if (!(norm.scale[f] > 0) || !std::isfinite(mul) || !(mul > 0))
      input_error("normalization of feature '{}': scale {} gives no finite positive input multiplier", name,
                  norm.scale[f]);
    q.input_offset.push_back(static_cast<float>(norm.offset[f]));
    q.input_mul.push_back(mul);
  }
}

Int8Model quantize_model(nn::Model& m, const std::vector<RangeObserver>& obs, RangeMethod method,
                         const data::Normalization& norm) {
  if (obs.size() != m.layers.size() + 1) input_error("calibration holds {} nodes, the model {}", obs.size(), m.layers.size() + 1);
  Int8Model q;
  q.tensors.resize(m.layers.size() + 1);
  q.tensors[0].shape = m.input_shape;
  for (std::size_t i = 0; i < m.layers.size(); ++i) q.tensors[i + 1].shape = m.layers[i]->out_shape;
  auto calibrated = [&](std::size_t node) {
    auto [lo, hi] = obs[node].choose(method);
    return asymmetric_int8(lo, hi);
  };
  q.tensors[0].q = calibrated(0);
  for (const PlannedOp& p : plan_ops(m)) {
    nn::Layer& l = *m.layers[p.layer];
    Int8Op op;
    op.layer = p.layer;
    op.input = p.input_node;
    op.output = p.output_node;
    op.fused = p.fused;
    const QParams in = q.tensors[op.input].q;
    QParams& out = q.tensors[op.output].q;
    auto unsupported = [&](const std::string& why) {
      input_error("layer {} ({}): {} cannot run on the int8 runtime: {}", p.layer + 1, l.kind(), l.describe(), why);
    };
    if (auto* c = dynamic_cast<nn::Conv2D*>(&l)) {
      op.kind = OpKind::Conv2D;
      const nn::ConvSpec& s = c->spec();
      op.kh = s.kh, op.kw = s.kw, op.stride_h = s.stride_h, op.stride_w = s.stride_w, op.dil_h = s.dil_h,
      op.dil_w = s.dil_w, op.pad_top = c->pad_top(), op.pad_left = c->pad_left();
      op.weight_shape = {s.filters, s.kh, s.kw, l.in_shape.back()};
      out = calibrated(op.output);
      quantize_weight_op(m, p, in, out, op);
    } else if (auto* d = dynamic_cast<nn::DepthwiseConv2D*>(&l)) {
      op.kind = OpKind::DepthwiseConv2D;
      const nn::ConvSpec& s = d->spec();
      op.kh = s.kh, op.kw = s.kw, op.stride_h = s.stride_h, op.stride_w = s.stride_w, op.dil_h = s.dil_h,
      op.dil_w = s.dil_w, op.pad_top = d->pad_top(), op.pad_left = d->pad_left();
      op.depth_multiplier = s.depth_multiplier;
      op.weight_shape = {1, s.kh, s.kw, l.out_shape.back()};
      out = calibrated(op.output);
      quantize_weight_op(m, p, in, out, op);
    } else if (dynamic_cast<nn::Dense*>(&l)) {
      op.kind = OpKind::FullyConnected;
      op.weight_shape = {l.out_shape.back(), static_cast<int>(nn::numel(l.in_shape))};
      out = calibrated(op.output);
      quantize_weight_op(m, p, in, out, op);
      const auto rows = static_cast<std::size_t>(op.weight_shape[0]);
      if (choose_encoding(op.weights, rows) == WeightEncoding::Bitmask) op.sparse_weights = encode_bitmask(op.weights, rows);
    } else if (auto* pool = dynamic_cast<nn::Pool2D*>(&l)) {
      op.kind = pool->is_max() ? OpKind::MaxPool : OpKind::AveragePool;
      op.kh = pool->pool_h(), op.kw = pool->pool_w(), op.stride_h = pool->stride_h(), op.stride_w = pool->stride_w();
      op.pad_top = pool->pad_top(), op.pad_left = pool->pad_left();
      out = in;  // pooling keeps its input's quantization
    } else if (dynamic_cast<nn::GlobalAveragePool*>(&l)) {
      op.kind = OpKind::Mean;
      out = calibrated(op.output);
    } else if (auto* a = dynamic_cast<nn::Add*>(&l)) {
      op.kind = OpKind::Add;
      op.input2 = static_cast<std::size_t>(a->from + 1);
      out = calibrated(op.output);
    } else if (dynamic_cast<nn::Reshape*>(&l) || dynamic_cast<nn::Dropout*>(&l)) {
      op.kind = OpKind::Reshape;
      out = in;
    } else if (auto* act = dynamic_cast<nn::Activation*>(&l)) {
      if (act->act() == nn::Act::Sigmoid) {
        op.kind = OpKind::Logistic;
        out = {1.0f / 256.0f, -128};
      } else if (act->act() == nn::Act::Tanh) {
        op.kind = OpKind::Tanh;
        out = {1.0f / 128.0f, 0};
      } else {
        unsupported("a ReLU or softmax must follow a dense, convolution or add layer (softmax: leave it out, the "
                    "largest logit is the class)");
      }
    } else {
      unsupported("fold a batchnorm into the dense or convolution layer right before it");
    }
    q.ops.push_back(std::move(op));
  }
  q.output = q.ops.empty() ? 0 : q.ops.back().output;
  fold_input_normalization(q, norm);
  return q;
}

std::vector<std::int8_t> quantize_input(const Int8Model& q, const float* raw_sample) {
  const Int8Tensor& in = q.tensors.at(q.input);
  std::vector<std::int8_t> x(nn::numel(in.shape));
  if (q.input_offset.size() != q.input_mul.size()) failure("int8 model with a broken input quantization");
  // A model built without fold_input_normalization takes normalized values: offset 0,
  // multiplier 1 / scale.
  const float identity_offset = 0.0f, identity_mul = static_cast<float>(1.0 / in.q.scale);
  const bool folded = !q.input_offset.empty();
  tinyml_rt_quant_affine_params qp{folded ? q.input_offset.data() : &identity_offset,
                                   folded ? q.input_mul.data() : &identity_mul,
                                   folded ? static_cast<int32_t>(q.input_offset.size()) : 1, in.q.zero_point};
  if (tinyml_rt_quantize_affine_f32_s8(&qp, raw_sample, x.data(), static_cast<int32_t>(x.size())) != TINYML_RT_OK)
    failure("int8 input quantization failed");
  return x;
}

std::vector<std::int8_t> run_int8(const Int8Model& q, const float* raw_sample) {
  return run_int8_quantized(q, quantize_input(q, raw_sample).data());
}

std::vector<std::int8_t> run_int8_quantized(const Int8Model& q, const std::int8_t* input) {
  std::vector<std::vector<std::int8_t>> t(q.tensors.size());
  auto buffer = [&](std::size_t k) -> std::vector<std::int8_t>& {
    t[k].resize(nn::numel(q.tensors[k].shape));
    return t[k];
  };
  auto& x0 = buffer(q.input);
  std::copy(input, input + x0.size(), x0.begin());
  std::vector<std::int32_t> scratch;
  for (std::size_t k = 0; k < q.ops.size(); ++k) {
    const Int8Op& op = q.ops[k];
    const RtOp p = prepare_op(q, k);
    scratch.assign(scratch_size(p) / 4 + 1, 0);
    const std::int8_t* x = t[op.input].data();
    const std::int8_t* x2 = op.kind == OpKind::Add ? t[op.input2].data() : nullptr;
    run_op(op, p, x, x2, buffer(op.output).data(), scratch.data(), scratch.size() * 4);
  }
  return t[q.output];
}

std::vector<std::int32_t> predict_int8(const Int8Model& q, const data::Dataset& d) {
  std::vector<std::int32_t> out(d.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    auto y = run_int8(q, data::raw_sample(d, i).data());
    out[i] = static_cast<std::int32_t>(std::max_element(y.begin(), y.end()) - y.begin());
  }
  return out;
}

OutputDifference output_difference(nn::Model& m, const Int8Model& q, const data::Dataset& d,
                                   const std::vector<std::int8_t>* int8_outputs) {
  std::vector<std::int8_t> computed;
  if (int8_outputs == nullptr) {
    for (std::size_t i = 0; i < d.size(); ++i) {
      const auto y = run_int8(q, data::raw_sample(d, i).data());
      computed.insert(computed.end(), y.begin(), y.end());
    }
    int8_outputs = &computed;
  }
  const std::vector<std::int8_t>& yq = *int8_outputs;
  const Int8Tensor& out = q.tensors[q.output];
  OutputDifference r;
  r.step = out.q.scale;
  r.samples = d.size();
  double sum = 0;
  std::size_t n = 0;
  const std::size_t ss = d.sample_size();
  nn::Tensor x;
  for (std::size_t b = 0; b < d.size(); b += 256) {  // float logits, a batch at a time
    const std::size_t e = std::min(d.size(), b + 256);
    x.reshape_for(static_cast<int>(e - b), m.input_shape);
    std::copy_n(d.x.begin() + static_cast<long>(b * ss), (e - b) * ss, x.v.begin());
    const auto& yf = m.forward(x, false).v;
    for (std::size_t k = 0; k < yf.size() && n < yq.size(); ++k, ++n) {
      const double diff = std::fabs(static_cast<double>(out.q.scale) * (yq[n] - out.q.zero_point) - yf[k]);
      r.max = std::max(r.max, diff);
      sum += diff;
    }
  }
  r.mean = n ? sum / static_cast<double>(n) : 0.0;
  return r;
}

}  // namespace tinyml::optimize
