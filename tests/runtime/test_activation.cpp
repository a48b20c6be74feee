// Softmax, Logistic and Tanh: hand-worked values (the outputs are far from rounding ties,
// so the fixed-point result must equal the real one rounded), and every input value of
// random quantizations against std::exp / std::tanh within one step.
#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

std::vector<int8_t> run_softmax(float beta, float scale, const std::vector<int8_t>& in,
                                tinyml_rt_shape s) {
  tinyml_rt_softmax_params p{};
  EXPECT_EQ(tinyml_rt_prepare_softmax(beta, scale, &p), TINYML_RT_OK);
  EXPECT_EQ(tinyml_rt_softmax_s8_scratch_size(&p, &s, &s), 0u);
  std::vector<int8_t> out(in.size());
  EXPECT_EQ(tinyml_rt_softmax_s8(&p, &s, in.data(), &s, out.data()), TINYML_RT_OK);
  return out;
}

TEST(RuntimeSoftmax, HandWorked) {
  // Four equal values: 1/4 each, 0.25 * 256 - 128 = -64.
  EXPECT_EQ(run_softmax(1.0f, 0.1f, {5, 5, 5, 5}, shape({1, 4})),
            (std::vector<int8_t>{-64, -64, -64, -64}));
  // Reals 0 and 1 (scale 1/16): 0.2689 * 256 = 68.85 -> 69 - 128 = -59; 0.7311 -> 187 -> 59.
  // Two rows, each normalized on its own.
  EXPECT_EQ(run_softmax(1.0f, 1.0f / 16, {0, 16, 16, 0}, shape({2, 2})),
            (std::vector<int8_t>{-59, 59, 59, -59}));
  // One value: probability 1 is 256 - 128 = 128, clamped to 127.
  EXPECT_EQ(run_softmax(1.0f, 0.5f, {-3}, shape({1, 1})), (std::vector<int8_t>{127}));
  // beta 2 with scale 1/32 gives the same beta * differences, 0 and 1: -59 and 59.
  EXPECT_EQ(run_softmax(2.0f, 1.0f / 32, {0, 16}, shape({2})), (std::vector<int8_t>{-59, 59}));
}

TEST(RuntimeSoftmax, RandomRowsAgreeWithFloatReference) {
  Rng rng(9);
  size_t values = 0, inside = 0;
  for (int iter = 0; iter < 150; ++iter) {
    const int32_t rows = rng.uniform(1, 4), depth = rng.uniform(1, 40);
    // Scales that keep beta * (max - min) mostly below ~30, so that many probabilities
    // are not rounded to 0.
    const float scale = rng.scale(0.005f, 0.06f), beta = rng.scale(0.5f, 2.0f);
    const auto s = shape({rows, depth});
    const auto in = rng.int8s(count(s));
    std::vector<int32_t> want;
    for (int32_t r = 0; r < rows; ++r) {
      int32_t mx = -128;
      for (int32_t c = 0; c < depth; ++c) mx = std::max<int32_t>(mx, in[r * depth + c]);
      double sum = 0;
      for (int32_t c = 0; c < depth; ++c) sum += std::exp(double{beta} * scale * (in[r * depth + c] - mx));
      for (int32_t c = 0; c < depth; ++c) {
        const double prob = std::exp(double{beta} * scale * (in[r * depth + c] - mx)) / sum;
        want.push_back(rt_test::quantize_ref(prob, 1.0 / 256, -128));
      }
    }
    rt_test::expect_within_one(run_softmax(beta, scale, in, s), want);
    values += want.size();
    inside += rt_test::unclamped(want);
  }
  EXPECT_GT(values, 1000u);
  EXPECT_GT(inside * 2, values);
}

std::vector<int8_t> run_q4(bool tanh, float scale, int32_t zp, const std::vector<int8_t>& in) {
  tinyml_rt_q4_activation_params p{};
  EXPECT_EQ(tinyml_rt_prepare_q4_activation(scale, zp, &p), TINYML_RT_OK);
  const auto s = shape({static_cast<int32_t>(in.size())});
  std::vector<int8_t> out(in.size());
  if (tanh) {
    EXPECT_EQ(tinyml_rt_tanh_s8_scratch_size(&p, &s, &s), 0u);
    EXPECT_EQ(tinyml_rt_tanh_s8(&p, &s, in.data(), &s, out.data()), TINYML_RT_OK);
  } else {
    EXPECT_EQ(tinyml_rt_logistic_s8_scratch_size(&p, &s, &s), 0u);
    EXPECT_EQ(tinyml_rt_logistic_s8(&p, &s, in.data(), &s, out.data()), TINYML_RT_OK);
  }
  return out;
}

TEST(RuntimeLogistic, HandWorked) {
  // Scale 1/16: reals 0, 1, -1, 7.4375 (119), +-7.5 (120 = the radius, saturates).
  // sigmoid(1) * 256 = 187.15 -> 187 - 128 = 59; sigmoid(-1) -> 68.85 -> 69 -> -59;
  // sigmoid(7.4375) * 256 = 255.85 -> 256 -> 128, clamped to 127.
  EXPECT_EQ(run_q4(false, 1.0f / 16, 0, {0, 16, -16, 119, 120, -120}),
            (std::vector<int8_t>{0, 59, -59, 127, 127, -128}));
  // The zero point moves the origin: q = 10 is real 0.
  EXPECT_EQ(run_q4(false, 1.0f / 16, 10, {10, 26}), (std::vector<int8_t>{0, 59}));
}

TEST(RuntimeTanh, HandWorked) {
  // Scale 1/16: tanh(1) * 128 = 97.48 -> 97; tanh(0.5) * 128 = 59.15 -> 59;
  // 127 is past the radius (120): 127.
  EXPECT_EQ(run_q4(true, 1.0f / 16, 0, {0, 16, -16, 8, -8, 127, -128}),
            (std::vector<int8_t>{0, 97, -97, 59, -59, 127, -128}));
}

TEST(RuntimeLogisticTanh, EveryInputAgreesWithFloatReference) {
  Rng rng(10);
  std::vector<int8_t> all(256);
  for (int32_t i = 0; i < 256; ++i) all[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
  int off = 0;
  for (int iter = 0; iter < 40; ++iter) {
    const float scale = rng.scale(0.005f, 0.25f);
    const int32_t zp = rng.uniform(-128, 127);
    std::vector<int32_t> want_sig, want_tanh;
    for (int8_t q : all) {
      const double x = rt_test::dequantize_ref(q, scale, zp);
      want_sig.push_back(rt_test::quantize_ref(1.0 / (1.0 + std::exp(-x)), 1.0 / 256, -128));
      want_tanh.push_back(rt_test::quantize_ref(std::tanh(x), 1.0 / 128, 0));
    }
    off += rt_test::expect_within_one(run_q4(false, scale, zp, all), want_sig);
    off += rt_test::expect_within_one(run_q4(true, scale, zp, all), want_tanh);
  }
  EXPECT_LT(off, 40 * 512 / 20);  // off by one at rounding ties only
}

TEST(RuntimeLogisticTanh, RejectMismatchedShapes) {
  tinyml_rt_q4_activation_params p{};
  ASSERT_EQ(tinyml_rt_prepare_q4_activation(0.1f, 0, &p), TINYML_RT_OK);
  const auto a = shape({4}), b = shape({2, 2});
  std::vector<int8_t> in(4), out(4);
  EXPECT_EQ(tinyml_rt_logistic_s8(&p, &a, in.data(), &b, out.data()), TINYML_RT_BAD_SHAPE);
  EXPECT_EQ(tinyml_rt_tanh_s8(&p, &a, in.data(), &b, out.data()), TINYML_RT_BAD_SHAPE);
}

}  // namespace
