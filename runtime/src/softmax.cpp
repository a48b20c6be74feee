// Softmax over the last dimension, int8 in, int8 out (scale 1/256, zero point -128):
// TFLite's reference quantized Softmax, which TFLite Micro runs for int8.
//   diff = q - max(row); terms with diff < diff_min are 0 (output -128);
//   d = SRDHM(diff * 2^left_shift, multiplier)          (Q5.26: beta * scale * diff)
//   e = exp_on_negative_values(d)                       (Q0.31)
//   sum = sum of RoundingDivideByPOT(e, 12)             (Q12.19)
//   1/sum by gemmlowp's Newton-Raphson reciprocal (GetReciprocal), normalized to
//   [1, 2) with num_bits_over_unit;
//   out = clamp(RoundingDivideByPOT(SRDHM(reciprocal, e), num_bits_over_unit + 23) - 128).
// Rows have at most 4095 values (so the Q12.19 sum cannot overflow). A sum of exps of
// 512 or more (possible only in rows longer than 256) makes num_bits_over_unit + 23 exceed 31,
// a shift TFLite leaves undefined; here it gives 0, the exact rounding of the quotient.
#include "fixedpoint.hpp"

namespace {

constexpr int32_t kScaledDiffIntegerBits = 5;
constexpr int32_t kAccumulationIntegerBits = 12;
constexpr int32_t kMaxDepth = 4095;

int32_t rounding_shift_right(int32_t x, int32_t exponent) {
  return exponent > 31 ? 0 : tinyml_rt::rdbpot(x, exponent);
}

}  // namespace

extern "C" {

size_t tinyml_rt_softmax_s8_scratch_size(const tinyml_rt_softmax_params*,
                                         const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_softmax_s8(const tinyml_rt_softmax_params* params,
                                      const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output) {
  if (params == nullptr || input_shape == nullptr || output_shape == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t count = 0;
  if (!tinyml_rt::shape_count(input_shape, &count) || !tinyml_rt::same_shape(input_shape, output_shape)) {
    return TINYML_RT_BAD_SHAPE;
  }
  const int32_t depth = input_shape->dims[input_shape->rank - 1];
  if (depth > kMaxDepth) return TINYML_RT_UNSUPPORTED;
  if (params->input_left_shift < 0 || params->input_left_shift > 31 || params->diff_min > 0) {
    return TINYML_RT_BAD_PARAM;
  }
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;

  const tinyml_rt_softmax_params& p = *params;
  const auto exp_of = [&p](int32_t diff) {
    const int32_t scaled =
        tinyml_rt::srdhm(tinyml_rt::wrap_shift_left(diff, p.input_left_shift), p.input_multiplier);
    return tinyml_rt::fp::exp_on_negative_values<kScaledDiffIntegerBits>(scaled);
  };
  for (int32_t row = 0; row < count / depth; ++row) {
    const int8_t* in = input + row * depth;
    int8_t* out = output + row * depth;
    int32_t max_in_row = tinyml_rt::kInt8Min;
    for (int32_t c = 0; c < depth; ++c) max_in_row = tinyml_rt::max32(max_in_row, in[c]);

    int32_t sum_of_exps = 0;  // Q12.19
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        sum_of_exps += tinyml_rt::rdbpot(exp_of(diff), kAccumulationIntegerBits);
      }
    }
    // GetReciprocal: sum = 2^num_bits_over_unit * (1 + f), f in [0, 1); 1 / (1 + f) in Q0.
    const int32_t headroom_plus_one =
        tinyml_rt::fp::count_leading_zeros(static_cast<uint32_t>(sum_of_exps));
    const int32_t num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = static_cast<int32_t>(
        (static_cast<uint32_t>(sum_of_exps) << headroom_plus_one) - (uint32_t{1} << 31));
    const int32_t shifted_scale =
        tinyml_rt::fp::one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t unsat = rounding_shift_right(tinyml_rt::srdhm(shifted_scale, exp_of(diff)),
                                                   num_bits_over_unit + 31 - 8);
        out[c] = static_cast<int8_t>(
            tinyml_rt::clamp32(unsat + tinyml_rt::kInt8Min, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max));
      } else {
        out[c] = static_cast<int8_t>(tinyml_rt::kInt8Min);
      }
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
