// A bundle's operation record as the runtime's parameter structs, its scratch size and its
// kernel call: the one place where the record's parameter list (docs/bundle.md) meets the
// kernels' structs.
#include "bundle_format.hpp"

namespace tinyml_rt {
namespace bundle {

Params make_params(const uint8_t* data, const Op& op) {
  Params r{};
  const int32_t* p = op.p;
  const tinyml_rt_window window{p[0], p[1], p[2], p[3]};
  // Weight layers' requantization: per-channel multipliers and shifts in the bundle.
  auto requant = [&](int32_t zero_point, int32_t act_min, int32_t act_max) {
    return tinyml_rt_requant{int32s(data, op.multipliers_offset), int32s(data, op.shifts_offset),
                             zero_point, act_min, act_max};
  };
  switch (op.kind) {
    case kConv2D:
      // stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, input zp, output zp,
      // act_min, act_max
      r.conv = {window, p[4], p[5], p[6], requant(p[7], p[8], p[9])};
      break;
    case kDepthwiseConv2D:
      // as conv2d, then depth_multiplier
      r.depthwise = {window, p[4], p[5], p[10], p[6], requant(p[7], p[8], p[9])};
      break;
    case kFullyConnected:
      // input zp, filter zp, per_channel, output zp, act_min, act_max
      r.fc = {p[0], p[1], p[2], requant(p[3], p[4], p[5])};
      break;
    case kMaxPool:
    case kAveragePool:
      // stride_h, stride_w, pad_top, pad_left, filter_h, filter_w, act_min, act_max
      r.pool = {window, p[4], p[5], p[6], p[7]};
      break;
    case kMean:
      // input zp, output zp, multiplier, shift
      r.mean = {p[0], p[1], p[2], p[3]};
      break;
    case kAdd:
      // input1 zp, input2 zp, output zp, left_shift, input1 multiplier and shift, input2
      // multiplier and shift, output multiplier and shift, act_min, act_max
      r.add = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]};
      break;
    case kLogistic:
    case kTanh:
      // input zp, input_range_radius, input_multiplier, input_left_shift
      r.q4 = {p[0], p[1], p[2], p[3]};
      break;
    default:
      break;
  }
  return r;
}

size_t scratch_size(const Op& op, const Params& p) {
  switch (op.kind) {
    case kConv2D: return tinyml_rt_conv2d_s8_scratch_size(&p.conv, &op.in, &op.filter, &op.out);
    case kDepthwiseConv2D:
      return tinyml_rt_depthwise_conv2d_s8_scratch_size(&p.depthwise, &op.in, &op.filter, &op.out);
    case kFullyConnected:
      return op.encoding == kBitmaskRows
                 ? tinyml_rt_fully_connected_sparse_s8_scratch_size(&p.fc, &op.in, &op.filter, &op.out)
                 : tinyml_rt_fully_connected_s8_scratch_size(&p.fc, &op.in, &op.filter, &op.out);
    case kMaxPool: return tinyml_rt_max_pool2d_s8_scratch_size(&p.pool, &op.in, &op.out);
    case kAveragePool: return tinyml_rt_avg_pool2d_s8_scratch_size(&p.pool, &op.in, &op.out);
    case kMean: return tinyml_rt_mean_hw_s8_scratch_size(&p.mean, &op.in, &op.out);
    case kAdd: return tinyml_rt_add_s8_scratch_size(&p.add, &op.in, &op.in2, &op.out);
    case kReshape: return tinyml_rt_reshape_s8_scratch_size(&op.in, &op.out);
    case kLogistic: return tinyml_rt_logistic_s8_scratch_size(&p.q4, &op.in, &op.out);
    case kTanh: return tinyml_rt_tanh_s8_scratch_size(&p.q4, &op.in, &op.out);
    default: return 0;
  }
}

tinyml_rt_status run_kernel(const uint8_t* data, const Op& op, const Params& p, const int8_t* x,
                            const int8_t* x2, int8_t* y, void* scratch) {
  const int8_t* w = static_cast<const int8_t*>(static_cast<const void*>(data + op.weights_offset));
  const int32_t* bias = int32s(data, op.bias_offset);
  switch (op.kind) {
    case kConv2D:
      return tinyml_rt_conv2d_s8(&p.conv, &op.in, x, &op.filter, w, bias, &op.out, y, scratch, op.scratch_bytes);
    case kDepthwiseConv2D:
      return tinyml_rt_depthwise_conv2d_s8(&p.depthwise, &op.in, x, &op.filter, w, bias, &op.out, y);
    case kFullyConnected:
      if (op.encoding == kBitmaskRows) {
        return tinyml_rt_fully_connected_sparse_s8(&p.fc, &op.in, x, &op.filter, data + op.weights_offset,
                                                   op.weights_bytes, bias, &op.out, y);
      }
      return tinyml_rt_fully_connected_s8(&p.fc, &op.in, x, &op.filter, w, bias, &op.out, y);
    case kMaxPool: return tinyml_rt_max_pool2d_s8(&p.pool, &op.in, x, &op.out, y);
    case kAveragePool: return tinyml_rt_avg_pool2d_s8(&p.pool, &op.in, x, &op.out, y);
    case kMean: return tinyml_rt_mean_hw_s8(&p.mean, &op.in, x, &op.out, y, scratch, op.scratch_bytes);
    case kAdd: return tinyml_rt_add_s8(&p.add, &op.in, x, &op.in2, x2, &op.out, y);
    case kReshape: return tinyml_rt_reshape_s8(&op.in, x, &op.out, y);
    case kLogistic: return tinyml_rt_logistic_s8(&p.q4, &op.in, x, &op.out, y);
    case kTanh: return tinyml_rt_tanh_s8(&p.q4, &op.in, x, &op.out, y);
    default: return TINYML_RT_UNSUPPORTED;
  }
}

}  // namespace bundle
}  // namespace tinyml_rt
