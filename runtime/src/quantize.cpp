// Quantize, float32 -> int8 (a float helper, not an int8 kernel): TFLite's AffineQuantize,
//   q = clamp(round(x / scale) + zero_point, -128, 127),
// x / scale computed in float and rounded half away from zero (std::round); NaN becomes
// the zero point.
#include "float_helpers.hpp"

extern "C" {

size_t tinyml_rt_quantize_f32_s8_scratch_size(const tinyml_rt_quant_params*, int32_t) {
  return 0;
}

tinyml_rt_status tinyml_rt_quantize_f32_s8(const tinyml_rt_quant_params* params,
                                           const float* input, int8_t* output, int32_t count) {
  const tinyml_rt_status st = tinyml_rt::check_quant(params, input, output, count);
  if (st != TINYML_RT_OK) return st;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t v = tinyml_rt::round_half_away_f32(input[i] / params->scale) + params->zero_point;
    output[i] = static_cast<int8_t>(tinyml_rt::clamp32(v, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max));
  }
  return TINYML_RT_OK;
}

}  // extern "C"
