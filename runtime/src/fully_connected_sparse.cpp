// FullyConnected, int8, with bitmask-sparse weights: each output row is stored as
// ceil(depth / 8) mask bytes (bit i % 8 of byte i / 8 set when weight i is non-zero) and
// then the row's non-zero weights in order. Only the stored weights are multiplied. The
// weights' zero point must be 0, so a skipped weight adds nothing, and integer sums do not
// depend on order: the outputs are the dense kernel's, bit for bit.
#include "rt_internal.hpp"

extern "C" {

size_t tinyml_rt_fully_connected_sparse_s8_scratch_size(const tinyml_rt_fully_connected_params*,
                                                        const tinyml_rt_shape*, const tinyml_rt_shape*,
                                                        const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_fully_connected_sparse_s8(const tinyml_rt_fully_connected_params* params,
                                                     const tinyml_rt_shape* input_shape, const int8_t* input,
                                                     const tinyml_rt_shape* filter_shape, const uint8_t* filter,
                                                     size_t filter_bytes, const int32_t* bias,
                                                     const tinyml_rt_shape* output_shape, int8_t* output) {
  int32_t batches = 0;
  const tinyml_rt_status st =
      tinyml_rt::check_fully_connected(params, input_shape, filter_shape, output_shape, &batches);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || filter == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if (params->filter_zero_point != 0) return TINYML_RT_BAD_PARAM;
  const int32_t outs = filter_shape->dims[0], depth = filter_shape->dims[1];
  if (!tinyml_rt::sparse_rows_fit(filter, filter_bytes, outs, depth)) return TINYML_RT_BAD_PARAM;

  const tinyml_rt_fully_connected_params& p = *params;
  const int32_t input_offset = -p.input_zero_point;
  const size_t mask = static_cast<size_t>(depth + 7) / 8;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in = input + b * depth;
    const uint8_t* row = filter;
    for (int32_t o = 0; o < outs; ++o) {
      const int8_t* values = reinterpret_cast<const int8_t*>(row + mask);
      int32_t acc = 0;
      for (size_t k = 0; k < mask; ++k) {
        for (uint32_t m = row[k]; m != 0; m &= m - 1) {
          const int32_t bit = __builtin_ctz(m);
          const int32_t i = static_cast<int32_t>(k) * 8 + bit;
          acc += static_cast<int32_t>(*values++) * (static_cast<int32_t>(in[i]) + input_offset);
        }
      }
      if (bias != nullptr) acc = tinyml_rt::wrap_add(acc, bias[o]);
      output[b * outs + o] = tinyml_rt::requantize(acc, p.out, p.per_channel != 0 ? o : 0);
      row = reinterpret_cast<const uint8_t*>(values);
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
