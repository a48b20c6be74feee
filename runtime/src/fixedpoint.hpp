// gemmlowp's fixed-point transcendental functions, as TensorFlow Lite Micro's reference
// int8 Softmax, Logistic and Tanh use them, written here on raw int32 values.
//
// A Qi number is an int32 raw value r standing for r / 2^(31 - i) (i integer bits).
// Products of a Qi and a Qj are srdhm(a, b) in Q(i+j); "rescaling" from Qi to Qj is
// gemmlowp's SaturatingRoundingMultiplyByPOT<i - j> (a saturating left shift for i > j,
// a rounding right shift for i < j). The constants are gemmlowp's (each is the raw value
// of the real number named beside it, rounded to nearest).
#ifndef TINYML_RT_FIXEDPOINT_HPP
#define TINYML_RT_FIXEDPOINT_HPP

#include "rt_internal.hpp"

namespace tinyml_rt {
namespace fp {

// SaturatingRoundingMultiplyByPOT<exponent>.
inline int32_t multiply_by_pot(int32_t x, int32_t exponent) {
  if (exponent > 0) return saturating_shift_left(x, exponent);
  if (exponent < 0) return rdbpot(x, -exponent);
  return x;
}

// (a + b) / 2 rounded half away from zero, in 64 bits (gemmlowp's RoundingHalfSum).
inline int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  const int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<int32_t>((sum + sign) / 2);
}

// 1.0 in Q0 is not representable; gemmlowp's One() for Q0 is the largest raw value.
constexpr int32_t kQ0One = INT32_MAX;

// exp(a) for a in [-1/4, 0), Q0 in and out: a Taylor expansion around -1/8.
inline int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668;  // exp(-1/8)
  const int32_t one_third = 715827883;              // 1/3
  const int32_t x = a + (int32_t{1} << 28);         // a + 1/8
  const int32_t x2 = srdhm(x, x);
  const int32_t x3 = srdhm(x2, x);
  const int32_t x4 = srdhm(x2, x2);
  const int32_t x4_over_4 = multiply_by_pot(x4, -2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
      multiply_by_pot(srdhm(x4_over_4 + x3, one_third) + x2, -1);
  return exp_minus_one_eighth +
         srdhm(exp_minus_one_eighth, x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

// exp(a) for a <= 0, a in Q(integer_bits), result in Q0: the remainder modulo 1/4 by the
// Taylor expansion, then one multiplier per set bit of the quotient (exp(-2^e)).
template <int kIntegerBits>
inline int32_t exp_on_negative_values(int32_t a) {
  constexpr int32_t kFractionalBits = 31 - kIntegerBits;
  constexpr int32_t kOneQuarter = int32_t{1} << (kFractionalBits - 2);
  const int32_t a_mod_quarter_minus_one_quarter = (a & (kOneQuarter - 1)) - kOneQuarter;
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      multiply_by_pot(a_mod_quarter_minus_one_quarter, kIntegerBits));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;

  struct Step {
    int32_t exponent;
    int32_t multiplier;  // exp(-2^exponent) in Q0
  };
  const Step steps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                        {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Step& s : steps) {
    if (kIntegerBits > s.exponent) {
      const int32_t bit = int32_t{1} << (kFractionalBits + s.exponent);
      if ((remainder & bit) != 0) result = srdhm(result, s.multiplier);
    }
  }
  if constexpr (kIntegerBits > 5) {
    // Below -32 the result is zero.
    const int32_t clamp = -(int32_t{1} << (kFractionalBits + 5));
    if (a < clamp) result = 0;
  }
  if (a == 0) result = kQ0One;
  return result;
}

// The Newton-Raphson division shared by 1/(1+a) and (1-a)/(1+a), a in [0, 1): given
// half_denominator = (1 + a) / 2 in Q0, returns its reciprocal 2 / (1 + a) in Q2.
inline int32_t reciprocal_of_half_denominator_q2(int32_t half_denominator) {
  const int32_t c48_over_17 = 1515870810;       // 48/17 in Q2
  const int32_t c_neg_32_over_17 = -1010580540;  // -32/17 in Q2
  constexpr int32_t kQ2One = int32_t{1} << 29;
  int32_t x = c48_over_17 + srdhm(half_denominator, c_neg_32_over_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = srdhm(half_denominator, x);
    const int32_t one_minus_half_denominator_times_x = kQ2One - half_denominator_times_x;
    x = x + multiply_by_pot(srdhm(x, one_minus_half_denominator_times_x), 2);
  }
  return x;
}

// 1 / (1 + a) for a in [0, 1), Q0 in and out.
inline int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t x = reciprocal_of_half_denominator_q2(rounding_half_sum(a, kQ0One));
  // x / 2 in Q1 has the raw value of x in Q2; rescale Q1 -> Q0.
  return multiply_by_pot(x, 1);
}

// (1 - a) / (1 + a) for a in [0, 1), Q0 in and out.
inline int32_t one_minus_x_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int32_t x = reciprocal_of_half_denominator_q2(rounding_half_sum(a, kQ0One));
  return multiply_by_pot(x - (int32_t{1} << 29), 2);
}

// 1 / (1 + exp(-a)), a in Q(integer_bits), result in Q0.
template <int kIntegerBits>
inline int32_t logistic(int32_t a) {
  if (a == 0) return int32_t{1} << 30;  // 0.5
  const int32_t magnitude = a > 0 ? a : -a;
  const int32_t positive =
      one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values<kIntegerBits>(-magnitude));
  return a > 0 ? positive : kQ0One - positive;
}

// tanh(a), a in Q(integer_bits), result in Q0: (1 - exp(-2|a|)) / (1 + exp(-2|a|)), where
// -2|a| is -|a| read as a Q(integer_bits + 1) number.
template <int kIntegerBits>
inline int32_t tanh(int32_t a) {
  if (a == 0) return 0;
  const int32_t negative = a < 0 ? a : -a;
  const int32_t t = one_minus_x_over_one_plus_x_for_x_in_0_1(
      exp_on_negative_values<kIntegerBits + 1>(negative));
  return a < 0 ? -t : t;
}

// Leading zero bits of x (32 for 0).
inline int32_t count_leading_zeros(uint32_t x) {
  int32_t n = 0;
  for (uint32_t bit = uint32_t{1} << 31; bit != 0 && (x & bit) == 0; bit >>= 1) ++n;
  return n;
}

}  // namespace fp

// The element loop shared by Logistic and Tanh (TFLite Micro's reference int8 kernels):
// d = q - zero_point; d <= -radius gives -128, d >= radius gives 127; otherwise
// out = clamp(RoundingDivideByPOT(f(MultiplyByQuantizedMultiplier(d, m, shift)), shift_out)
//             + zero_point_out, -128, 127), f taking a Q4.27 and returning a Q0.31 number.
template <typename F>
tinyml_rt_status q4_activation(const tinyml_rt_q4_activation_params* params,
                               const tinyml_rt_shape* input_shape, const int8_t* input,
                               const tinyml_rt_shape* output_shape, int8_t* output, F f,
                               int32_t shift_out, int32_t zero_point_out) {
  if (params == nullptr || input_shape == nullptr || output_shape == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t count = 0;
  if (!shape_count(input_shape, &count) || !same_shape(input_shape, output_shape)) {
    return TINYML_RT_BAD_SHAPE;
  }
  const tinyml_rt_q4_activation_params& p = *params;
  if (!is_int8(p.input_zero_point) || p.input_range_radius < 0 ||
      !valid_shift(p.input_left_shift)) {
    return TINYML_RT_BAD_PARAM;
  }
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t d = input[i] - p.input_zero_point;
    int32_t v = 0;
    if (d <= -p.input_range_radius) {
      v = kInt8Min;
    } else if (d >= p.input_range_radius) {
      v = kInt8Max;
    } else {
      const int32_t in_q4 = mbqm(d, p.input_multiplier, p.input_left_shift);
      v = clamp32(rdbpot(f(in_q4), shift_out) + zero_point_out, kInt8Min, kInt8Max);
    }
    output[i] = static_cast<int8_t>(v);
  }
  return TINYML_RT_OK;
}

}  // namespace tinyml_rt

#endif  // TINYML_RT_FIXEDPOINT_HPP
