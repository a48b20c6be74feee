// Add (with broadcasting), Quantize and Dequantize.
#include <limits>

#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

TEST(RuntimeAdd, HandWorked) {
  // Scales 0.5 and 0.25, output 1.0 (see RuntimeRequant.PrepareAdd...): 10 * 0.5 + 8 * 0.25
  // = 7; with zero points 2 and -4: (12-2)*0.5 + (4+4)*0.25 = 7 as well; output zero
  // point 3 gives 10. Negative: (-10-2)*0.5 + (-12+4)*0.25 = -8 -> -5.
  tinyml_rt_add_params p{};
  ASSERT_EQ(tinyml_rt_prepare_add(0.5f, 0, 0.25f, 0, 1.0f, 0, TINYML_RT_ACT_NONE, &p),
            TINYML_RT_OK);
  const auto s = shape({1, 1});
  int8_t a = 10, b = 8, out = 0;
  ASSERT_EQ(tinyml_rt_add_s8(&p, &s, &a, &s, &b, &s, &out), TINYML_RT_OK);
  EXPECT_EQ(out, 7);
  ASSERT_EQ(tinyml_rt_prepare_add(0.5f, 2, 0.25f, -4, 1.0f, 3, TINYML_RT_ACT_NONE, &p),
            TINYML_RT_OK);
  const std::vector<int8_t> x = {12, -10}, y = {4, -12};
  std::vector<int8_t> z(2);
  const auto s2 = shape({2});
  ASSERT_EQ(tinyml_rt_add_s8(&p, &s2, x.data(), &s2, y.data(), &s2, z.data()), TINYML_RT_OK);
  EXPECT_EQ(z, (std::vector<int8_t>{10, -5}));
  // ReLU: the negative sum clamps at the zero point.
  ASSERT_EQ(tinyml_rt_prepare_add(0.5f, 2, 0.25f, -4, 1.0f, 3, TINYML_RT_ACT_RELU, &p),
            TINYML_RT_OK);
  ASSERT_EQ(tinyml_rt_add_s8(&p, &s2, x.data(), &s2, y.data(), &s2, z.data()), TINYML_RT_OK);
  EXPECT_EQ(z, (std::vector<int8_t>{10, 3}));
}

TEST(RuntimeAdd, HandWorkedBroadcast) {
  // [2, 3] + [1, 3] (a row added to each row) and [2, 1] + [2, 3] (a column).
  tinyml_rt_add_params p{};
  ASSERT_EQ(tinyml_rt_prepare_add(1.0f, 0, 1.0f, 0, 1.0f, 0, TINYML_RT_ACT_NONE, &p),
            TINYML_RT_OK);
  const std::vector<int8_t> m = {1, 2, 3, 4, 5, 6}, row = {10, 20, 30}, col = {100, -100};
  const auto ms = shape({2, 3}), rs = shape({1, 3}), cs = shape({2, 1});
  std::vector<int8_t> out(6);
  ASSERT_EQ(tinyml_rt_add_s8(&p, &ms, m.data(), &rs, row.data(), &ms, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{11, 22, 33, 14, 25, 36}));
  ASSERT_EQ(tinyml_rt_add_s8(&p, &cs, col.data(), &ms, m.data(), &ms, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{101, 102, 103, -96, -95, -94}));
  const auto bad = shape({3, 3});
  EXPECT_EQ(tinyml_rt_add_s8(&p, &ms, m.data(), &rs, row.data(), &bad, out.data()),
            TINYML_RT_BAD_SHAPE);
}

TEST(RuntimeAdd, RandomShapesAgreeWithFloatReference) {
  Rng rng(6);
  size_t values = 0, inside = 0;
  for (int iter = 0; iter < 200; ++iter) {
    const int32_t rank = rng.uniform(1, 4);
    tinyml_rt_shape os{rank, {1, 1, 1, 1}}, as = os, bs = os;
    for (int32_t d = 0; d < rank; ++d) {
      os.dims[d] = rng.uniform(1, 5);
      as.dims[d] = rng.uniform(0, 3) == 0 ? 1 : os.dims[d];
      bs.dims[d] = rng.uniform(0, 3) == 0 ? 1 : os.dims[d];
    }
    const auto a = rng.int8s(count(as)), b = rng.int8s(count(bs));
    const float sa = rng.scale(0.01f, 0.1f), sb = rng.scale(0.01f, 0.1f);
    const int32_t za = rng.uniform(-30, 30), zb = rng.uniform(-30, 30);
    // The reference, index by index (4-D, leading ones).
    int32_t od[4] = {1, 1, 1, 1}, ad[4] = {1, 1, 1, 1}, bd[4] = {1, 1, 1, 1};
    for (int32_t d = 0; d < rank; ++d) {
      od[4 - rank + d] = os.dims[d];
      ad[4 - rank + d] = as.dims[d];
      bd[4 - rank + d] = bs.dims[d];
    }
    const auto at = [](const int32_t* dims, const int32_t* idx) {
      int32_t i = 0;
      for (int32_t d = 0; d < 4; ++d) i = i * dims[d] + (dims[d] == 1 ? 0 : idx[d]);
      return i;
    };
    std::vector<double> real;
    int32_t idx[4];
    for (idx[0] = 0; idx[0] < od[0]; ++idx[0])
      for (idx[1] = 0; idx[1] < od[1]; ++idx[1])
        for (idx[2] = 0; idx[2] < od[2]; ++idx[2])
          for (idx[3] = 0; idx[3] < od[3]; ++idx[3]) {
            real.push_back(rt_test::dequantize_ref(a[at(ad, idx)], sa, za) +
                           rt_test::dequantize_ref(b[at(bd, idx)], sb, zb));
          }
    const auto oq = rt_test::pick_output_quant(real);
    int32_t lo = -128, hi = 127;
    rt_test::random_activation(rng, oq, &lo, &hi);
    const auto act = lo == -128 && hi == 127 ? TINYML_RT_ACT_NONE : TINYML_RT_ACT_RELU;
    tinyml_rt_add_params p{};
    ASSERT_EQ(tinyml_rt_prepare_add(sa, za, sb, zb, oq.scale, oq.zero_point, act, &p),
              TINYML_RT_OK);
    std::vector<int32_t> want;
    for (double r : real) {
      want.push_back(rt_test::quantize_ref(r, oq.scale, oq.zero_point, p.act_min, p.act_max));
    }
    ASSERT_EQ(tinyml_rt_add_s8_scratch_size(&p, &as, &bs, &os), 0u);
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_add_s8(&p, &as, a.data(), &bs, b.data(), &os, out.data()), TINYML_RT_OK);
    rt_test::expect_within_one(out, want);
    values += out.size();
    inside += rt_test::unclamped(want, p.act_min, p.act_max);
  }
  EXPECT_GT(values, 1000u);
  EXPECT_GT(inside * 2, values);
}

TEST(RuntimeQuantize, HandWorked) {
  // Scale 0.5, zero point 1: 1.25 / 0.5 = 2.5 -> 3 (half away from zero) -> 4;
  // -1.25 -> -2.5 -> -3 -> -2; -0.2 -> -0.4 -> 0 -> 1; 1000 -> 127; -1000 -> -128; NaN -> 1.
  const tinyml_rt_quant_params q{0.5f, 1};
  const std::vector<float> x = {1.25f, -1.25f, -0.2f, 1000.0f, -1000.0f,
                                std::numeric_limits<float>::quiet_NaN(),
                                std::numeric_limits<float>::infinity()};
  std::vector<int8_t> out(x.size());
  ASSERT_EQ(tinyml_rt_quantize_f32_s8(&q, x.data(), out.data(), static_cast<int32_t>(x.size())),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{4, -2, 1, 127, -128, 1, 127}));
  const tinyml_rt_quant_params bad{0.0f, 0};
  EXPECT_EQ(tinyml_rt_quantize_f32_s8(&bad, x.data(), out.data(), 1), TINYML_RT_BAD_PARAM);
}

TEST(RuntimeQuantizeAffine, HandWorked) {
  // Two features (channels): offset 20, multiplier 0.5 and offset -1, multiplier 4; zero
  // point -3. 25 -> (5 * 0.5 = 2.5 -> 3) - 3 = 0; 0 -> (1 * 4 = 4) - 3 = 1;
  // 15 -> -2.5 -> -3 -> -6; -1.125 -> -0.5 -> -1 -> -4; 1000 -> 127; -1000 -> -128; NaN -> -3;
  // 20 (feature 2) -> 21 * 4 = 84 -> 81.
  const float offset[2] = {20.0f, -1.0f}, mul[2] = {0.5f, 4.0f};
  const tinyml_rt_quant_affine_params q{offset, mul, 2, -3};
  const std::vector<float> x = {25.0f, 0.0f, 15.0f, -1.125f, 1000.0f, -1000.0f,
                                std::numeric_limits<float>::quiet_NaN(), 20.0f};
  std::vector<int8_t> out(x.size());
  ASSERT_EQ(tinyml_rt_quantize_affine_f32_s8_scratch_size(&q, 8), 0u);
  ASSERT_EQ(tinyml_rt_quantize_affine_f32_s8(&q, x.data(), out.data(), 8), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{0, 1, -6, -4, 127, -128, -3, 81}));
  // A count that is not a whole number of samples, a zero multiplier, an infinite offset.
  EXPECT_EQ(tinyml_rt_quantize_affine_f32_s8(&q, x.data(), out.data(), 7), TINYML_RT_BAD_SHAPE);
  const float zero[2] = {0.5f, 0.0f}, inf[2] = {std::numeric_limits<float>::infinity(), 0.0f};
  const tinyml_rt_quant_affine_params bad_mul{offset, zero, 2, 0}, bad_offset{inf, mul, 2, 0};
  EXPECT_EQ(tinyml_rt_quantize_affine_f32_s8(&bad_mul, x.data(), out.data(), 2), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_quantize_affine_f32_s8(&bad_offset, x.data(), out.data(), 2), TINYML_RT_BAD_PARAM);
  const tinyml_rt_quant_affine_params no_channels{offset, mul, 0, 0};
  EXPECT_EQ(tinyml_rt_quantize_affine_f32_s8(&no_channels, x.data(), out.data(), 2), TINYML_RT_BAD_SHAPE);
}

TEST(RuntimeQuantizeAffine, RandomValuesAgreeWithNormalizeThenQuantize) {
  // Folding the normalization into the input quantization moves a value across a rounding
  // boundary at most rarely, and then by one step.
  Rng rng(9);
  std::size_t values = 0, differ = 0;
  for (int iter = 0; iter < 50; ++iter) {
    const int32_t channels = rng.uniform(1, 6);
    std::vector<float> offset(static_cast<size_t>(channels)), norm_scale(offset.size()), mul(offset.size());
    const tinyml_rt_quant_params in{rng.scale(0.01f, 0.1f), rng.uniform(-128, 127)};
    for (size_t c = 0; c < offset.size(); ++c) {
      offset[c] = static_cast<float>(rng.real(-50.0, 50.0));
      norm_scale[c] = rng.scale(0.1f, 20.0f);
      mul[c] = static_cast<float>(1.0 / (static_cast<double>(norm_scale[c]) * in.scale));
    }
    const tinyml_rt_quant_affine_params q{offset.data(), mul.data(), channels, in.zero_point};
    const int32_t n = channels * rng.uniform(1, 40);
    std::vector<float> raw(static_cast<size_t>(n)), normalized(raw.size());
    for (int32_t i = 0; i < n; ++i) {
      const auto c = static_cast<size_t>(i % channels);
      normalized[static_cast<size_t>(i)] = static_cast<float>(rng.real(-3.0, 3.0));
      raw[static_cast<size_t>(i)] = normalized[static_cast<size_t>(i)] * norm_scale[c] + offset[c];
    }
    std::vector<int8_t> folded(raw.size()), direct(raw.size());
    ASSERT_EQ(tinyml_rt_quantize_affine_f32_s8(&q, raw.data(), folded.data(), n), TINYML_RT_OK);
    ASSERT_EQ(tinyml_rt_quantize_f32_s8(&in, normalized.data(), direct.data(), n), TINYML_RT_OK);
    for (size_t i = 0; i < raw.size(); ++i) {
      ++values;
      EXPECT_LE(std::abs(folded[i] - direct[i]), 1);
      differ += folded[i] != direct[i];
    }
  }
  EXPECT_GT(values, 500u);
  EXPECT_LT(differ * 50, values);  // under 2%
}

TEST(RuntimeQuantize, RandomValuesMatchStdRoundAndDequantizeIsExact) {
  Rng rng(8);
  for (int iter = 0; iter < 50; ++iter) {
    const tinyml_rt_quant_params q{rng.scale(0.001f, 1.0f), rng.uniform(-128, 127)};
    std::vector<float> x(static_cast<size_t>(rng.uniform(1, 300)));
    for (auto& v : x) v = static_cast<float>(rng.real(-150.0, 150.0) * q.scale);
    const auto n = static_cast<int32_t>(x.size());
    std::vector<int8_t> out(x.size());
    ASSERT_EQ(tinyml_rt_quantize_f32_s8_scratch_size(&q, n), 0u);
    ASSERT_EQ(tinyml_rt_quantize_f32_s8(&q, x.data(), out.data(), n), TINYML_RT_OK);
    for (size_t i = 0; i < x.size(); ++i) {
      const float r = std::round(x[i] / q.scale);  // float division, as TFLite
      EXPECT_EQ(out[i], std::clamp(static_cast<int32_t>(r) + q.zero_point, -128, 127));
    }
    std::vector<float> back(x.size());
    ASSERT_EQ(tinyml_rt_dequantize_s8_f32_scratch_size(&q, n), 0u);
    ASSERT_EQ(tinyml_rt_dequantize_s8_f32(&q, out.data(), back.data(), n), TINYML_RT_OK);
    for (size_t i = 0; i < x.size(); ++i) {
      // TFLite: static_cast<float>(double(scale) * (q - zero_point)).
      EXPECT_EQ(back[i], static_cast<float>(static_cast<double>(q.scale) * (out[i] - q.zero_point)));
      if (out[i] > -128 && out[i] < 127) {
        EXPECT_LE(std::fabs(back[i] - x[i]), 0.5f * q.scale * 1.0001f);
      }
    }
  }
}

}  // namespace
