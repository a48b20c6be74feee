// Preparation helpers: real scales to the integer parameters the kernels take, computed
// as TensorFlow Lite (Micro) computes them in its Prepare functions. Double and float
// arithmetic lives here and in quantize/dequantize only, never in an int8 kernel.
#include "float_helpers.hpp"

using tinyml_rt::frexp_exact;
using tinyml_rt::is_finite;
using tinyml_rt::is_int8;
using tinyml_rt::is_positive_finite;
using tinyml_rt::round_half_away;
using tinyml_rt::round_half_away_f32;

namespace {

// TFLite's CalculateInputRadius(integer_bits, left_shift, 31): the largest input difference
// whose rescaled value stays representable, floor(((2^i - 1) * 2^(31 - i)) / 2^left_shift).
int32_t input_radius(int32_t integer_bits, int32_t left_shift) {
  const double max_rescaled = 1.0 * static_cast<double>((int32_t{1} << integer_bits) - 1) *
                              static_cast<double>(int64_t{1} << (31 - integer_bits)) /
                              static_cast<double>(int64_t{1} << left_shift);
  return static_cast<int32_t>(max_rescaled);  // non-negative: truncation is floor
}

// QuantizeMultiplierSmallerThanOneExp: 0 < real < 1, shift <= 0.
tinyml_rt_status quantize_smaller_than_one(double real, int32_t* multiplier, int32_t* shift) {
  if (!(real > 0.0 && real < 1.0)) return TINYML_RT_BAD_PARAM;
  const tinyml_rt_status st = tinyml_rt_quantize_multiplier(real, multiplier, shift);
  if (st != TINYML_RT_OK) return st;
  return *shift <= 0 ? TINYML_RT_OK : TINYML_RT_BAD_PARAM;
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_quantize_multiplier(double real_multiplier, int32_t* multiplier,
                                               int32_t* shift) {
  if (multiplier == nullptr || shift == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_finite(real_multiplier)) return TINYML_RT_BAD_PARAM;
  if (real_multiplier == 0.0) {
    *multiplier = 0;
    *shift = 0;
    return TINYML_RT_OK;
  }
  int32_t e = 0;
  const double q = frexp_exact(real_multiplier, &e);
  int64_t q_fixed = round_half_away(q * 2147483648.0);
  if (q_fixed == (int64_t{1} << 31)) {  // q rounded up to 1.0: 2^30 * 2^(e + 1 - 31)
    q_fixed /= 2;
    ++e;
  }
  if (e < -31) {  // every bit would be shifted out: flush to zero, as TFLite does
    e = 0;
    q_fixed = 0;
  }
  *multiplier = static_cast<int32_t>(q_fixed);
  *shift = e;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_activation_range(tinyml_rt_activation activation, float scale,
                                            int32_t zero_point, int32_t* act_min,
                                            int32_t* act_max) {
  if (act_min == nullptr || act_max == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_positive_finite(scale) || !is_int8(zero_point)) return TINYML_RT_BAD_PARAM;
  const auto quantize = [scale, zero_point](float f) {
    return zero_point + round_half_away_f32(f / scale);
  };
  int32_t lo = tinyml_rt::kInt8Min;
  int32_t hi = tinyml_rt::kInt8Max;
  switch (activation) {
    case TINYML_RT_ACT_NONE:
      break;
    case TINYML_RT_ACT_RELU:
      lo = tinyml_rt::max32(lo, quantize(0.0f));
      break;
    case TINYML_RT_ACT_RELU6:
      lo = tinyml_rt::max32(lo, quantize(0.0f));
      hi = tinyml_rt::min32(hi, quantize(6.0f));
      break;
    case TINYML_RT_ACT_RELU_N1_TO_1:
      lo = tinyml_rt::max32(lo, quantize(-1.0f));
      hi = tinyml_rt::min32(hi, quantize(1.0f));
      break;
    default:
      return TINYML_RT_BAD_PARAM;
  }
  if (lo > hi) return TINYML_RT_BAD_PARAM;  // the range lies outside int8 altogether
  *act_min = lo;
  *act_max = hi;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_prepare_channel_multipliers(float input_scale,
                                                       const float* filter_scales,
                                                       int32_t count, float output_scale,
                                                       int32_t* multipliers,
                                                       int32_t* shifts) {
  if (filter_scales == nullptr || multipliers == nullptr || shifts == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  if (count < 1 || !is_positive_finite(input_scale) || !is_positive_finite(output_scale)) {
    return TINYML_RT_BAD_PARAM;
  }
  for (int32_t c = 0; c < count; ++c) {
    if (!is_positive_finite(filter_scales[c])) return TINYML_RT_BAD_PARAM;
  }
  for (int32_t c = 0; c < count; ++c) {
    const double real = static_cast<double>(input_scale) *
                        static_cast<double>(filter_scales[c]) /
                        static_cast<double>(output_scale);
    const tinyml_rt_status st = tinyml_rt_quantize_multiplier(real, &multipliers[c], &shifts[c]);
    if (st != TINYML_RT_OK) return st;
  }
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_compute_padding(tinyml_rt_padding padding, int32_t in_size,
                                           int32_t filter_size, int32_t stride,
                                           int32_t dilation, int32_t* out_size,
                                           int32_t* pad_before) {
  if (out_size == nullptr || pad_before == nullptr) return TINYML_RT_NULL_POINTER;
  if (in_size < 1 || filter_size < 1 || stride < 1 || dilation < 1) return TINYML_RT_BAD_PARAM;
  const int64_t effective = int64_t{filter_size - 1} * dilation + 1;
  int64_t out = 0;
  if (padding == TINYML_RT_PADDING_SAME) {
    out = (int64_t{in_size} + stride - 1) / stride;
  } else if (padding == TINYML_RT_PADDING_VALID) {
    if (effective > in_size) return TINYML_RT_BAD_PARAM;
    out = (int64_t{in_size} + stride - effective) / stride;
  } else {
    return TINYML_RT_BAD_PARAM;
  }
  const int64_t total = (out - 1) * stride + effective - in_size;
  if (total > tinyml_rt::kInt32Max) return TINYML_RT_BAD_PARAM;
  *out_size = static_cast<int32_t>(out);
  *pad_before = total > 0 ? static_cast<int32_t>(total / 2) : 0;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_prepare_mean(float input_scale, int32_t input_zero_point,
                                        float output_scale, int32_t output_zero_point,
                                        tinyml_rt_mean_params* params) {
  if (params == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_positive_finite(input_scale) || !is_positive_finite(output_scale) ||
      !is_int8(input_zero_point) || !is_int8(output_zero_point)) {
    return TINYML_RT_BAD_PARAM;
  }
  tinyml_rt_mean_params p{};
  p.input_zero_point = input_zero_point;
  p.output_zero_point = output_zero_point;
  const double real = static_cast<double>(input_scale) / static_cast<double>(output_scale);
  const tinyml_rt_status st = tinyml_rt_quantize_multiplier(real, &p.multiplier, &p.shift);
  if (st != TINYML_RT_OK) return st;
  if (!tinyml_rt::valid_shift(p.shift)) return TINYML_RT_UNSUPPORTED;
  *params = p;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_prepare_add(float input1_scale, int32_t input1_zero_point,
                                       float input2_scale, int32_t input2_zero_point,
                                       float output_scale, int32_t output_zero_point,
                                       tinyml_rt_activation activation,
                                       tinyml_rt_add_params* params) {
  if (params == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_positive_finite(input1_scale) || !is_positive_finite(input2_scale) ||
      !is_positive_finite(output_scale) || !is_int8(input1_zero_point) ||
      !is_int8(input2_zero_point) || !is_int8(output_zero_point)) {
    return TINYML_RT_BAD_PARAM;
  }
  tinyml_rt_add_params p{};
  p.input1_zero_point = input1_zero_point;
  p.input2_zero_point = input2_zero_point;
  p.output_zero_point = output_zero_point;
  p.left_shift = 20;
  const double larger = static_cast<double>(input1_scale > input2_scale ? input1_scale
                                                                         : input2_scale);
  const double twice_max_input_scale = 2.0 * larger;
  const double real1 = static_cast<double>(input1_scale) / twice_max_input_scale;
  const double real2 = static_cast<double>(input2_scale) / twice_max_input_scale;
  const double real_out = twice_max_input_scale /
                          (static_cast<double>(int32_t{1} << p.left_shift) *
                           static_cast<double>(output_scale));
  tinyml_rt_status st = quantize_smaller_than_one(real1, &p.input1_multiplier, &p.input1_shift);
  if (st == TINYML_RT_OK) {
    st = quantize_smaller_than_one(real2, &p.input2_multiplier, &p.input2_shift);
  }
  if (st == TINYML_RT_OK) {
    st = quantize_smaller_than_one(real_out, &p.output_multiplier, &p.output_shift);
  }
  if (st == TINYML_RT_OK) {
    st = tinyml_rt_activation_range(activation, output_scale, output_zero_point, &p.act_min,
                                    &p.act_max);
  }
  if (st != TINYML_RT_OK) return st;
  *params = p;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_prepare_softmax(float beta, float input_scale,
                                           tinyml_rt_softmax_params* params) {
  if (params == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_positive_finite(beta) || !is_positive_finite(input_scale)) return TINYML_RT_BAD_PARAM;
  // PreprocessSoftmaxScaling with 5 integer bits for the scaled differences (Q5.26).
  constexpr int32_t kScaledDiffIntegerBits = 5;
  const double max_real_multiplier = 2147483647.0;  // 2^31 - 1
  double real = static_cast<double>(beta) * static_cast<double>(input_scale) *
                static_cast<double>(int32_t{1} << (31 - kScaledDiffIntegerBits));
  if (real > max_real_multiplier) real = max_real_multiplier;
  if (!(real > 1.0)) return TINYML_RT_UNSUPPORTED;  // QuantizeMultiplierGreaterThanOne
  tinyml_rt_softmax_params p{};
  const tinyml_rt_status st =
      tinyml_rt_quantize_multiplier(real, &p.input_multiplier, &p.input_left_shift);
  if (st != TINYML_RT_OK) return st;
  if (p.input_left_shift < 0 || p.input_left_shift > 31) return TINYML_RT_UNSUPPORTED;
  p.diff_min = -input_radius(kScaledDiffIntegerBits, p.input_left_shift);
  *params = p;
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_prepare_q4_activation(float input_scale, int32_t input_zero_point,
                                                 tinyml_rt_q4_activation_params* params) {
  if (params == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_positive_finite(input_scale) || !is_int8(input_zero_point)) {
    return TINYML_RT_BAD_PARAM;
  }
  // TFLite Micro's Logistic/Tanh Prepare: input_scale * 2^(31 - 4) through a bare frexp
  // (no folding of a rounded-up 2^31: a float scale has 24 significant bits, so
  // q * 2^31 is an integer below 2^31 and rounding never reaches it).
  constexpr int32_t kInputIntegerBits = 4;
  const double real = static_cast<double>(input_scale) *
                      static_cast<double>(int32_t{1} << (31 - kInputIntegerBits));
  tinyml_rt_q4_activation_params p{};
  p.input_zero_point = input_zero_point;
  const double q = frexp_exact(real, &p.input_left_shift);
  const int64_t q_fixed = round_half_away(q * 2147483648.0);
  if (q_fixed >= (int64_t{1} << 31)) return TINYML_RT_UNSUPPORTED;
  if (p.input_left_shift < 0 || p.input_left_shift > 30) return TINYML_RT_UNSUPPORTED;
  p.input_multiplier = static_cast<int32_t>(q_fixed);
  p.input_range_radius = input_radius(kInputIntegerBits, p.input_left_shift);
  *params = p;
  return TINYML_RT_OK;
}

}  // extern "C"
