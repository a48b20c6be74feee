#include "tinyml/optimize/int8_ops.hpp"

#include <algorithm>

#include "tinyml/error.hpp"

namespace tinyml::optimize {

namespace {

tinyml_rt_shape dims(std::initializer_list<int> d) {
  tinyml_rt_shape r{};
  r.rank = static_cast<int32_t>(d.size());
  int k = 0;
  for (int v : d) r.dims[k++] = v;
  return r;
}

}  // namespace

tinyml_rt_shape runtime_shape(const std::vector<int>& s) {
  if (s.size() == 3) return dims({1, s[0], s[1], s[2]});
  if (s.size() == 2) return dims({1, 1, s[0], s[1]});
  return dims({1, static_cast<int>(nn::numel(s))});
}

tinyml_rt_activation runtime_activation(Fused f) {
  return f == Fused::ReLU ? TINYML_RT_ACT_RELU : f == Fused::ReLU6 ? TINYML_RT_ACT_RELU6 : TINYML_RT_ACT_NONE;
}

void check_status(tinyml_rt_status s, const Int8Op& op, const char* what) {
  if (s != TINYML_RT_OK)
    failure("int8 {} (from layer {}): {} returned status {}", to_string(op.kind), op.layer + 1, what, static_cast<int>(s));
}

RtOp prepare_op(const Int8Model& m, std::size_t k) {
  const Int8Op& op = m.ops.at(k);
  const Int8Tensor &ti = m.tensors.at(op.input), &to = m.tensors.at(op.output);
  RtOp r;
  r.kind = op.kind;
  r.input = runtime_shape(ti.shape);
  r.output = runtime_shape(to.shape);
  const tinyml_rt_requant rq{op.multipliers.data(), op.shifts.data(), to.q.zero_point, op.act_min, op.act_max};
  const tinyml_rt_window window{op.stride_h, op.stride_w, op.pad_top, op.pad_left};
  const auto& w = op.weight_shape;
  switch (op.kind) {
    case OpKind::Conv2D:
    case OpKind::DepthwiseConv2D:
      if (w.size() != 4) failure("int8 {} (from layer {}): the weight shape is not 4-D", to_string(op.kind), op.layer + 1);
      r.filter = dims({w[0], w[1], w[2], w[3]});
      if (op.kind == OpKind::Conv2D)
        r.conv = {window, op.dil_h, op.dil_w, ti.q.zero_point, rq};
      else
        r.depthwise = {window, op.dil_h, op.dil_w, op.depth_multiplier, ti.q.zero_point, rq};
      break;
    case OpKind::FullyConnected:
      if (w.size() != 2 || nn::numel(ti.shape) != static_cast<std::size_t>(w[1]) ||
          nn::numel(to.shape) != static_cast<std::size_t>(w[0]))
        failure("int8 fully_connected (from layer {}): the weights do not fit its tensors", op.layer + 1);
      r.fc = {ti.q.zero_point, 0, 1, rq};
      r.filter = dims({w[0], w[1]});
      r.input = dims({1, w[1]});
      r.output = dims({1, w[0]});
      break;
    case OpKind::MaxPool:
    case OpKind::AveragePool:
      r.pool = {window, op.kh, op.kw, -128, 127};
      break;
    case OpKind::Mean:
      check_status(tinyml_rt_prepare_mean(ti.q.scale, ti.q.zero_point, to.q.scale, to.q.zero_point, &r.mean), op,
                   "prepare");
      break;
    case OpKind::Add: {
      const Int8Tensor& t2 = m.tensors.at(op.input2);
      r.input2 = runtime_shape(t2.shape);
      check_status(tinyml_rt_prepare_add(ti.q.scale, ti.q.zero_point, t2.q.scale, t2.q.zero_point, to.q.scale,
                                         to.q.zero_point, runtime_activation(op.fused), &r.add),
                   op, "prepare");
      break;
    }
    case OpKind::Reshape:
      break;
    case OpKind::Logistic:
    case OpKind::Tanh:
      check_status(tinyml_rt_prepare_q4_activation(ti.q.scale, ti.q.zero_point, &r.q4), op, "prepare");
      break;
  }
  return r;
}

std::size_t scratch_size(const RtOp& p) {
  switch (p.kind) {
    case OpKind::Conv2D: return tinyml_rt_conv2d_s8_scratch_size(&p.conv, &p.input, &p.filter, &p.output);
    case OpKind::DepthwiseConv2D:
      return tinyml_rt_depthwise_conv2d_s8_scratch_size(&p.depthwise, &p.input, &p.filter, &p.output);
    case OpKind::FullyConnected:
      // The dense and the sparse kernels ask for the same (none).
      return std::max(tinyml_rt_fully_connected_s8_scratch_size(&p.fc, &p.input, &p.filter, &p.output),
                      tinyml_rt_fully_connected_sparse_s8_scratch_size(&p.fc, &p.input, &p.filter, &p.output));
    case OpKind::MaxPool: return tinyml_rt_max_pool2d_s8_scratch_size(&p.pool, &p.input, &p.output);
    case OpKind::AveragePool: return tinyml_rt_avg_pool2d_s8_scratch_size(&p.pool, &p.input, &p.output);
    case OpKind::Mean: return tinyml_rt_mean_hw_s8_scratch_size(&p.mean, &p.input, &p.output);
    case OpKind::Add: return tinyml_rt_add_s8_scratch_size(&p.add, &p.input, &p.input2, &p.output);
    case OpKind::Reshape: return tinyml_rt_reshape_s8_scratch_size(&p.input, &p.output);
    case OpKind::Logistic: return tinyml_rt_logistic_s8_scratch_size(&p.q4, &p.input, &p.output);
    case OpKind::Tanh: return tinyml_rt_tanh_s8_scratch_size(&p.q4, &p.input, &p.output);
  }
  return 0;
}

namespace {

tinyml_rt_status call_kernel(const Int8Op& op, const RtOp& p, const std::int8_t* x, const std::int8_t* x2,
                             std::int8_t* y, void* scratch, std::size_t scratch_bytes) {
  switch (op.kind) {
    case OpKind::Conv2D:
      return tinyml_rt_conv2d_s8(&p.conv, &p.input, x, &p.filter, op.weights.data(), op.bias.data(), &p.output, y,
                                 scratch, scratch_bytes);
    case OpKind::DepthwiseConv2D:
      return tinyml_rt_depthwise_conv2d_s8(&p.depthwise, &p.input, x, &p.filter, op.weights.data(), op.bias.data(),
                                           &p.output, y);
    case OpKind::FullyConnected:
      if (!op.sparse_weights.empty())
        return tinyml_rt_fully_connected_sparse_s8(&p.fc, &p.input, x, &p.filter, op.sparse_weights.data(),
                                                   op.sparse_weights.size(), op.bias.data(), &p.output, y);
      return tinyml_rt_fully_connected_s8(&p.fc, &p.input, x, &p.filter, op.weights.data(), op.bias.data(), &p.output,
                                          y);
    case OpKind::MaxPool: return tinyml_rt_max_pool2d_s8(&p.pool, &p.input, x, &p.output, y);
    case OpKind::AveragePool: return tinyml_rt_avg_pool2d_s8(&p.pool, &p.input, x, &p.output, y);
    case OpKind::Mean: return tinyml_rt_mean_hw_s8(&p.mean, &p.input, x, &p.output, y, scratch, scratch_bytes);
    case OpKind::Add: return tinyml_rt_add_s8(&p.add, &p.input, x, &p.input2, x2, &p.output, y);
    case OpKind::Reshape: return tinyml_rt_reshape_s8(&p.input, x, &p.output, y);
    case OpKind::Logistic: return tinyml_rt_logistic_s8(&p.q4, &p.input, x, &p.output, y);
    case OpKind::Tanh: return tinyml_rt_tanh_s8(&p.q4, &p.input, x, &p.output, y);
  }
  return TINYML_RT_UNSUPPORTED;
}

}  // namespace

void run_op(const Int8Op& op, const RtOp& p, const std::int8_t* x, const std::int8_t* x2, std::int8_t* y,
            void* scratch, std::size_t scratch_bytes) {
  check_status(call_kernel(op, p, x, x2, y, scratch, scratch_bytes), op,
               op.sparse_weights.empty() ? "the kernel" : "the sparse kernel");
}

}  // namespace tinyml::optimize
