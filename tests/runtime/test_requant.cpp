// The requantization primitives, QuantizeMultiplier and the preparation helpers, against
// values worked out by hand from gemmlowp's and TFLite's definitions (the reasoning is
// beside each expectation).
#include <cmath>
#include <limits>

#include "fixedpoint.hpp"
#include "rt_test_util.hpp"

namespace {

constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
constexpr int32_t kHalf = 1 << 30;  // 0.5 as a Q31 multiplier

int32_t srdhm(int32_t a, int32_t b) { return tinyml_rt_saturating_rounding_doubling_high_mul(a, b); }
int32_t rdbpot(int32_t x, int32_t e) { return tinyml_rt_rounding_divide_by_pot(x, e); }
int32_t mbqm(int32_t x, int32_t m, int32_t s) { return tinyml_rt_multiply_by_quantized_multiplier(x, m, s); }

TEST(RuntimeRequant, SaturatingRoundingDoublingHighMul) {
  // The one overflow: (-2^31)^2 * 2 / 2^32 = 2^31 does not fit, so it saturates.
  EXPECT_EQ(srdhm(kMin, kMin), kMax);
  // 2^30 * 2^30 * 2 / 2^32 = 2^29 exactly.
  EXPECT_EQ(srdhm(kHalf, kHalf), 1 << 29);
  // 3 * 0.5 = 1.5: a tie, nudge 2^30 then truncation -> 2.
  EXPECT_EQ(srdhm(3, kHalf), 2);
  // -3 * 0.5 = -1.5: nudge 1 - 2^30 gives (-2^32 + 1) / 2^31 = -1.9999..., truncated to -1:
  // ties go toward +infinity, not away from zero.
  EXPECT_EQ(srdhm(-3, kHalf), -1);
  // -5 * 0.5 = -2.5 -> -2; 5 * 0.5 = 2.5 -> 3.
  EXPECT_EQ(srdhm(-5, kHalf), -2);
  EXPECT_EQ(srdhm(5, kHalf), 3);
  // Not a tie: -7 * 0.75 = -5.25 -> -5; 7 * 0.75 = 5.25 -> 5.
  EXPECT_EQ(srdhm(-7, 1610612736), -5);
  EXPECT_EQ(srdhm(7, 1610612736), 5);
  // INT32_MIN * INT32_MAX: -2^31 * (2^31 - 1) / 2^31 = -(2^31 - 1) exactly.
  EXPECT_EQ(srdhm(kMin, kMax), -kMax);
  EXPECT_EQ(srdhm(kMax, kMax), kMax - 1);  // (2^31-1)^2 / 2^31 = 2^31 - 2 + 2^-31
  EXPECT_EQ(srdhm(0, kMin), 0);
  EXPECT_EQ(srdhm(1, 1), 0);  // 2^-31
}

TEST(RuntimeRequant, RoundingDivideByPot) {
  EXPECT_EQ(rdbpot(3, 1), 2);    // 1.5 -> 2 (ties away from zero)
  EXPECT_EQ(rdbpot(-3, 1), -2);  // -1.5 -> -2
  EXPECT_EQ(rdbpot(5, 2), 1);    // 1.25 -> 1
  EXPECT_EQ(rdbpot(-5, 2), -1);  // -1.25 -> -1
  EXPECT_EQ(rdbpot(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(rdbpot(-6, 2), -2);  // -1.5 -> -2
  EXPECT_EQ(rdbpot(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(rdbpot(100, 0), 100);
  EXPECT_EQ(rdbpot(kMax, 31), 1);   // 0.99999... -> 1
  EXPECT_EQ(rdbpot(kMin, 31), -1);  // -1 exactly
  EXPECT_EQ(rdbpot(kMin, 30), -2);
  EXPECT_EQ(rdbpot(1 << 30, 31), 1);  // 0.5 -> 1
  EXPECT_EQ(rdbpot(-(1 << 30), 31), -1);
}

TEST(RuntimeRequant, MultiplyByQuantizedMultiplier) {
  EXPECT_EQ(mbqm(100, kHalf, 0), 50);
  EXPECT_EQ(mbqm(7, kHalf, 1), 7);  // 7 * 2 * 0.5
  // Two roundings: 5 * 0.25 = 1.25, but 5 * 0.5 = 2.5 rounds to 3 first, then 3 / 2 = 1.5
  // rounds to 2. TFLite (without TFLITE_SINGLE_ROUNDING) gives 2, not 1.
  EXPECT_EQ(mbqm(5, kHalf, -1), 2);
  // -5 * 0.25: -2.5 -> -2 (tie toward +infinity), then -2 / 2 = -1.
  EXPECT_EQ(mbqm(-5, kHalf, -1), -1);
  EXPECT_EQ(mbqm(kMin, kMin, 0), kMax);
  // 1000 * 0.75 * 2^-4 = 46.875 -> 750 exactly, then 750 / 16 = 46.875 -> 47.
  EXPECT_EQ(mbqm(1000, 1610612736, -4), 47);
  EXPECT_EQ(mbqm(-1000, 1610612736, -4), -47);
  // Large left shift: 3 * 2^20 * 0.5 = 3 * 2^19.
  EXPECT_EQ(mbqm(3, kHalf, 20), 3 << 19);
}

struct MultiplierCase {
  double real;
  int32_t multiplier;
  int32_t shift;
};

TEST(RuntimeRequant, QuantizeMultiplierMatchesTflite) {
  // frexp(real) = q * 2^e, q in [0.5, 1); multiplier = round(q * 2^31), shift = e.
  const MultiplierCase cases[] = {
      {0.5, 1 << 30, 0},            // q = 0.5, e = 0
      {1.0, 1 << 30, 1},            // q = 0.5, e = 1
      {0.75, 1610612736, 0},        // 0.75 * 2^31
      {0.25, 1 << 30, -1},
      {2.0, 1 << 30, 2},
      {0.1, 1717986918, -3},        // q = 0.8: 1717986918.4 rounds down
      {1.0 / 3.0, 1431655765, -1},  // q = 2/3: 1431655765.33
      {-0.5, -(1 << 30), 0},
      {0.0, 0, 0},
      // q = 0.5 + 2^-32: q * 2^31 = 2^30 + 0.5, a tie, rounded away from zero.
      {0.5 + std::ldexp(1.0, -32), (1 << 30) + 1, 0},
      // q = 1 - 2^-40 rounds to 2^31: halved, and the shift grows by one.
      {1.0 - std::ldexp(1.0, -40), 1 << 30, 1},
      // 2^-32: q = 0.5, e = -31, the smallest shift kept.
      {std::ldexp(1.0, -32), 1 << 30, -31},
      // 2^-33: e = -32 < -31, flushed to zero.
      {std::ldexp(1.0, -33), 0, 0},
      // 2^-1074 (the smallest subnormal): flushed to zero too.
      {std::ldexp(1.0, -1074), 0, 0},
      // A typical conv scale: 0.0235 * 0.0041 / 0.11 = 0.89693... * 2^-10; q * 2^31 =
      // 1926144460.66 rounds up.
      {0.0235 * 0.0041 / 0.11, 1926144461, -10},  // q = 0.89693090909...
  };
  for (const auto& c : cases) {
    int32_t m = -1, s = -1;
    ASSERT_EQ(tinyml_rt_quantize_multiplier(c.real, &m, &s), TINYML_RT_OK) << c.real;
    EXPECT_EQ(m, c.multiplier) << c.real;
    EXPECT_EQ(s, c.shift) << c.real;
  }
  int32_t m = 0, s = 0;
  EXPECT_EQ(tinyml_rt_quantize_multiplier(std::nan(""), &m, &s), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_quantize_multiplier(HUGE_VAL, &m, &s), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_quantize_multiplier(0.5, nullptr, &s), TINYML_RT_NULL_POINTER);
}

TEST(RuntimeRequant, QuantizeMultiplierAgreesWithFrexpOnRandomReals) {
  // The library's frexp and round, against a re-derivation with <cmath>.
  rt_test::Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    const double real = std::ldexp(rng.real(0.5, 1.0), rng.uniform(-40, 20));
    int e = 0;
    const double q = std::frexp(real, &e);
    auto fixed = static_cast<int64_t>(std::round(q * 2147483648.0));
    if (fixed == (int64_t{1} << 31)) {
      fixed /= 2;
      ++e;
    }
    if (e < -31) {
      e = 0;
      fixed = 0;
    }
    int32_t m = 0, s = 0;
    ASSERT_EQ(tinyml_rt_quantize_multiplier(real, &m, &s), TINYML_RT_OK);
    ASSERT_EQ(m, fixed) << real;
    ASSERT_EQ(s, e) << real;
    // And the pair does represent the real number to 2^-31 relative.
    if (m != 0) {
      EXPECT_NEAR(std::ldexp(m, s - 31) / real, 1.0, 1e-9);
    }
  }
}

TEST(RuntimeRequant, ActivationRange) {
  int32_t lo = 0, hi = 0;
  ASSERT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_NONE, 0.1f, -10, &lo, &hi), TINYML_RT_OK);
  EXPECT_EQ(lo, -128);
  EXPECT_EQ(hi, 127);
  ASSERT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_RELU, 0.1f, -10, &lo, &hi), TINYML_RT_OK);
  EXPECT_EQ(lo, -10);  // real 0 is the zero point
  EXPECT_EQ(hi, 127);
  ASSERT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_RELU6, 0.1f, -10, &lo, &hi), TINYML_RT_OK);
  EXPECT_EQ(lo, -10);
  EXPECT_EQ(hi, 50);  // 6 / 0.1 = 60 steps above the zero point
  ASSERT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_RELU_N1_TO_1, 0.1f, -10, &lo, &hi),
            TINYML_RT_OK);
  EXPECT_EQ(lo, -20);
  EXPECT_EQ(hi, 0);
  // RELU6 beyond the int8 range: the clamp stays at 127.
  ASSERT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_RELU6, 0.01f, 0, &lo, &hi), TINYML_RT_OK);
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 127);
  EXPECT_EQ(tinyml_rt_activation_range(TINYML_RT_ACT_RELU, 0.0f, 0, &lo, &hi),
            TINYML_RT_BAD_PARAM);
}

TEST(RuntimeRequant, ComputePadding) {
  int32_t out = 0, pad = 0;
  // SAME, 5 wide, filter 3, stride 2: out = ceil(5 / 2) = 3, total (3-1)*2 + 3 - 5 = 2.
  ASSERT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_SAME, 5, 3, 2, 1, &out, &pad),
            TINYML_RT_OK);
  EXPECT_EQ(out, 3);
  EXPECT_EQ(pad, 1);
  // SAME, 4 wide: out 2, total 1, so 0 before and the odd pixel after.
  ASSERT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_SAME, 4, 3, 2, 1, &out, &pad),
            TINYML_RT_OK);
  EXPECT_EQ(out, 2);
  EXPECT_EQ(pad, 0);
  // VALID: out = (5 + 2 - 3) / 2 = 2.
  ASSERT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_VALID, 5, 3, 2, 1, &out, &pad),
            TINYML_RT_OK);
  EXPECT_EQ(out, 2);
  EXPECT_EQ(pad, 0);
  // Dilation 2 makes a 3-tap filter 5 wide.
  ASSERT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_VALID, 5, 3, 1, 2, &out, &pad),
            TINYML_RT_OK);
  EXPECT_EQ(out, 1);
  ASSERT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_SAME, 5, 3, 1, 2, &out, &pad),
            TINYML_RT_OK);
  EXPECT_EQ(out, 5);
  EXPECT_EQ(pad, 2);
  EXPECT_EQ(tinyml_rt_compute_padding(TINYML_RT_PADDING_VALID, 2, 3, 1, 1, &out, &pad),
            TINYML_RT_BAD_PARAM);
}

TEST(RuntimeRequant, PrepareAddSoftmaxAndQ4Activations) {
  tinyml_rt_add_params add{};
  ASSERT_EQ(tinyml_rt_prepare_add(0.5f, 0, 0.25f, 0, 1.0f, 0, TINYML_RT_ACT_NONE, &add),
            TINYML_RT_OK);
  // twice the larger scale = 1: input multipliers 0.5 and 0.25, output 1 / 2^20.
  EXPECT_EQ(add.left_shift, 20);
  EXPECT_EQ(add.input1_multiplier, 1 << 30);
  EXPECT_EQ(add.input1_shift, 0);
  EXPECT_EQ(add.input2_multiplier, 1 << 30);
  EXPECT_EQ(add.input2_shift, -1);
  EXPECT_EQ(add.output_multiplier, 1 << 30);
  EXPECT_EQ(add.output_shift, -19);

  tinyml_rt_softmax_params sm{};
  ASSERT_EQ(tinyml_rt_prepare_softmax(1.0f, 1.0f / 16, &sm), TINYML_RT_OK);
  // 2^26 / 16 = 2^22 = 0.5 * 2^23; radius floor(31 * 2^26 / 2^23) = 248.
  EXPECT_EQ(sm.input_multiplier, 1 << 30);
  EXPECT_EQ(sm.input_left_shift, 23);
  EXPECT_EQ(sm.diff_min, -248);
  // A huge beta * scale is capped at 2^31 - 1: multiplier 2^31 - 1, shift 31, and only
  // the row's maximum survives (diff_min 0).
  ASSERT_EQ(tinyml_rt_prepare_softmax(1.0f, 1000.0f, &sm), TINYML_RT_OK);
  EXPECT_EQ(sm.input_multiplier, kMax);
  EXPECT_EQ(sm.input_left_shift, 31);
  EXPECT_EQ(sm.diff_min, 0);

  tinyml_rt_q4_activation_params q4{};
  ASSERT_EQ(tinyml_rt_prepare_q4_activation(1.0f / 16, 3, &q4), TINYML_RT_OK);
  // 2^27 / 16 = 2^23 = 0.5 * 2^24; radius floor(15 * 2^27 / 2^24) = 120.
  EXPECT_EQ(q4.input_zero_point, 3);
  EXPECT_EQ(q4.input_multiplier, 1 << 30);
  EXPECT_EQ(q4.input_left_shift, 24);
  EXPECT_EQ(q4.input_range_radius, 120);

  tinyml_rt_mean_params mean{};
  ASSERT_EQ(tinyml_rt_prepare_mean(0.5f, 1, 0.25f, -2, &mean), TINYML_RT_OK);
  EXPECT_EQ(mean.multiplier, 1 << 30);  // 2.0
  EXPECT_EQ(mean.shift, 2);
}

// gemmlowp's fixed-point functions against <cmath> (a wrong constant or a misplaced
// rescale shows up as a large error).
TEST(RuntimeRequant, FixedPointFunctionsTrackTheirRealCounterparts) {
  namespace fp = tinyml_rt::fp;
  rt_test::Rng rng(11);
  const double q0 = std::ldexp(1.0, 31);
  for (int i = 0; i < 3000; ++i) {
    const double x5 = rng.real(-31.9, 0.0);  // Q5.26
    const auto raw5 = static_cast<int32_t>(std::lround(x5 * std::ldexp(1.0, 26)));
    EXPECT_NEAR(fp::exp_on_negative_values<5>(raw5) / q0, std::exp(raw5 / std::ldexp(1.0, 26)),
                2e-6);
    const double x4 = rng.real(-15.9, 15.9);  // Q4.27
    const auto raw4 = static_cast<int32_t>(std::lround(x4 * std::ldexp(1.0, 27)));
    const double v4 = raw4 / std::ldexp(1.0, 27);
    EXPECT_NEAR(fp::logistic<4>(raw4) / q0, 1.0 / (1.0 + std::exp(-v4)), 2e-6);
    EXPECT_NEAR(fp::tanh<4>(raw4) / q0, std::tanh(v4), 4e-6);
    const double f = rng.real(0.0, 0.999);
    const auto rawf = static_cast<int32_t>(std::lround(f * q0));
    EXPECT_NEAR(fp::one_over_one_plus_x_for_x_in_0_1(rawf) / q0, 1.0 / (1.0 + rawf / q0), 2e-6);
  }
  EXPECT_EQ(fp::exp_on_negative_values<5>(0), kMax);  // exp(0) = "1" in Q0
  EXPECT_EQ(fp::logistic<4>(0), 1 << 30);
  EXPECT_EQ(fp::tanh<4>(0), 0);
  EXPECT_EQ(fp::count_leading_zeros(0), 32);
  EXPECT_EQ(fp::count_leading_zeros(1), 31);
  EXPECT_EQ(fp::count_leading_zeros(0x80000000u), 0);
}

}  // namespace
