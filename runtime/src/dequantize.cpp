// Dequantize, int8 -> float32 (a float helper): TFLite's Dequantize,
//   x = scale * (q - zero_point).
// TFLite multiplies in double and rounds to float once; the product of a float and an
// integer below 2^9 is exact in double, so the single float multiplication here rounds
// the same exact product to the same float.
#include "float_helpers.hpp"

extern "C" {

size_t tinyml_rt_dequantize_s8_f32_scratch_size(const tinyml_rt_quant_params*, int32_t) {
  return 0;
}

tinyml_rt_status tinyml_rt_dequantize_s8_f32(const tinyml_rt_quant_params* params,
                                             const int8_t* input, float* output,
                                             int32_t count) {
  const tinyml_rt_status st = tinyml_rt::check_quant(params, input, output, count);
  if (st != TINYML_RT_OK) return st;
  for (int32_t i = 0; i < count; ++i) {
    output[i] = params->scale * static_cast<float>(input[i] - params->zero_point);
  }
  return TINYML_RT_OK;
}

}  // extern "C"
