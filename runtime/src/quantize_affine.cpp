// Quantize raw sensor readings, float32 -> int8, with the data stage's normalization folded
// in: element i belongs to channel c = i % channels (the last axis, the feature) and
//   q = clamp(round((x - offset[c]) * multiplier[c]) + zero_point, -128, 127),
// where multiplier[c] = 1 / (normalization scale[c] x input scale). One float subtraction
// and one float multiplication, each rounded once by IEEE single precision; there is no
// a * b + c for a compiler to contract into a fused multiply-add, so every core with IEEE
// floats (hardware or soft-float) gives the same bytes. Rounding is half away from zero;
// NaN becomes the zero point.
#include "float_helpers.hpp"

extern "C" {

size_t tinyml_rt_quantize_affine_f32_s8_scratch_size(const tinyml_rt_quant_affine_params*, int32_t) {
  return 0;
}

tinyml_rt_status tinyml_rt_quantize_affine_f32_s8(const tinyml_rt_quant_affine_params* params,
                                                  const float* input, int8_t* output, int32_t count) {
  if (params == nullptr || input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if (params->offset == nullptr || params->multiplier == nullptr) return TINYML_RT_NULL_POINTER;
  const int32_t channels = params->channels;
  if (count < 0 || channels < 1 || count % channels != 0) return TINYML_RT_BAD_SHAPE;
  if (!tinyml_rt::is_int8(params->zero_point)) return TINYML_RT_BAD_PARAM;
  for (int32_t c = 0; c < channels; ++c) {
    const float o = params->offset[c];
    if (!tinyml_rt::is_finite(static_cast<double>(o)) || !tinyml_rt::is_positive_finite(params->multiplier[c]))
      return TINYML_RT_BAD_PARAM;
  }
  int32_t c = 0;
  for (int32_t i = 0; i < count; ++i) {
    const float centred = input[i] - params->offset[c];
    const float scaled = centred * params->multiplier[c];
    const int32_t v = tinyml_rt::round_half_away_f32(scaled) + params->zero_point;
    output[i] = static_cast<int8_t>(tinyml_rt::clamp32(v, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max));
    if (++c == channels) c = 0;
  }
  return TINYML_RT_OK;
}

}  // extern "C"
