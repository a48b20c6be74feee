// FullyConnected, int8: TFLite's reference FullyConnected (per-tensor) and
// FullyConnectedPerChannel.
//   acc = bias[o] + sum over i of (filter[o][i] - filter_zp) * (input[b][i] - input_zp);
//   out[b][o] = requantize(acc, channel o, or channel 0 when per-tensor).
#include "rt_internal.hpp"

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
  const tinyml_rt_status st =
      tinyml_rt::check_fully_connected(params, input_shape, filter_shape, output_shape, &batches);
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
