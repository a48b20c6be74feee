// FullyConnected, int8: TFLite's reference FullyConnected (per-tensor) and
// FullyConnectedPerChannel.
//   acc = bias[o] + sum over i of (filter[o][i] - filter_zp) * (input[b][i] - input_zp);
//   out[b][o] = requantize(acc, channel o, or channel 0 when per-tensor).
#include "rt_internal.hpp"

namespace {

tinyml_rt_status check(const tinyml_rt_fully_connected_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* f_s, const tinyml_rt_shape* out_s,
                       int32_t* batches) {
  if (p == nullptr || in_s == nullptr || f_s == nullptr || out_s == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t in_count = 0, f_count = 0, out_count = 0;
  if (!tinyml_rt::shape_count(in_s, &in_count) || !tinyml_rt::shape_count(f_s, &f_count) ||
      !tinyml_rt::shape_count(out_s, &out_count) || f_s->rank != 2) {
    return TINYML_RT_BAD_SHAPE;
  }
  const int32_t outs = f_s->dims[0], depth = f_s->dims[1];
  if (in_count % depth != 0 || out_s->dims[out_s->rank - 1] != outs ||
      static_cast<int64_t>(in_count / depth) * outs != out_count) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (depth > (p->filter_zero_point == 0 ? tinyml_rt::kMaxAccumulationTerms
                                          : tinyml_rt::kMaxAccumulationTermsAsymmetric)) {
    return TINYML_RT_UNSUPPORTED;
  }
  if (!tinyml_rt::is_int8(p->input_zero_point) || !tinyml_rt::is_int8(p->filter_zero_point) ||
      (p->per_channel != 0 && p->per_channel != 1)) {
    return TINYML_RT_BAD_PARAM;
  }
  *batches = in_count / depth;
  return tinyml_rt::check_requant(p->out, p->per_channel != 0 ? outs : 1);
}

}  // namespace

extern "C" {

size_t tinyml_rt_fully_connected_s8_scratch_size(const tinyml_rt_fully_connected_params*,
                                                 const tinyml_rt_shape*,
                                                 const tinyml_rt_shape*,
                                                 const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_fully_connected_s8(const tinyml_rt_fully_connected_params* params,
                                              const tinyml_rt_shape* input_shape,
                                              const int8_t* input,
                                              const tinyml_rt_shape* filter_shape,
                                              const int8_t* filter, const int32_t* bias,
                                              const tinyml_rt_shape* output_shape,
                                              int8_t* output) {
  int32_t batches = 0;
  const tinyml_rt_status st = check(params, input_shape, filter_shape, output_shape, &batches);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || filter == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;

  const tinyml_rt_fully_connected_params& p = *params;
  const int32_t outs = filter_shape->dims[0], depth = filter_shape->dims[1];
  const int32_t input_offset = -p.input_zero_point;
  const int32_t filter_offset = -p.filter_zero_point;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in = input + b * depth;
    for (int32_t o = 0; o < outs; ++o) {
      const int8_t* w = filter + o * depth;
      int32_t acc = 0;
      for (int32_t i = 0; i < depth; ++i) {
        acc += (static_cast<int32_t>(w[i]) + filter_offset) *
               (static_cast<int32_t>(in[i]) + input_offset);
      }
      if (bias != nullptr) acc = tinyml_rt::wrap_add(acc, bias[o]);
      output[b * outs + o] = tinyml_rt::requantize(acc, p.out, p.per_channel != 0 ? o : 0);
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
