// MaxPool2D, AveragePool2D and Mean over H,W: hand-worked cases (TFLite's rounding of the
// average), random shapes against a reference, exact-size buffers and exact scratch.
#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

tinyml_rt_pool2d_params pool(int32_t fh, int32_t fw, int32_t sh, int32_t sw, int32_t pt,
                             int32_t pl, int32_t lo = -128, int32_t hi = 127) {
  tinyml_rt_pool2d_params p{};
  p.window = {sh, sw, pt, pl};
  p.filter_h = fh;
  p.filter_w = fw;
  p.act_min = lo;
  p.act_max = hi;
  return p;
}

TEST(RuntimePool, HandWorkedAverageRoundsHalfAwayFromZero) {
  // Two 2x2 windows: 1 1 / 1 3 sums to 6, 6/4 = 1.5 -> 2; -1 -2 / -3 -4 sums to -10,
  // -2.5 -> -3. Max: 3 and -1.
  const std::vector<int8_t> input = {1, 1, -1, -2, 1, 3, -3, -4};
  const auto is = shape({1, 2, 4, 1}), os = shape({1, 1, 2, 1});
  const auto p = pool(2, 2, 2, 2, 0, 0);
  std::vector<int8_t> out(2);
  ASSERT_EQ(tinyml_rt_avg_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{2, -3}));
  ASSERT_EQ(tinyml_rt_max_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{3, -1}));
}

TEST(RuntimePool, HandWorkedPaddingIsNotCounted) {
  // 3x3 input 1..9, 3x3 window, stride 2, one pixel of padding: each window holds four
  // pixels. Averages 12/4, 16/4, 24/4, 28/4; maxima 5 6 8 9; ReLU-like clamp at 4 for max.
  const std::vector<int8_t> input = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const auto is = shape({1, 3, 3, 1}), os = shape({1, 2, 2, 1});
  auto p = pool(3, 3, 2, 2, 1, 1);
  std::vector<int8_t> out(4);
  ASSERT_EQ(tinyml_rt_avg_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{3, 4, 6, 7}));
  ASSERT_EQ(tinyml_rt_max_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{5, 6, 8, 9}));
  p.act_min = 6;
  ASSERT_EQ(tinyml_rt_max_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{6, 6, 8, 9}));
}

TEST(RuntimePool, RejectsAWindowWithNoPixel) {
  const std::vector<int8_t> input(4, 0);
  const auto is = shape({1, 2, 2, 1}), os = shape({1, 2, 2, 1});
  const auto p = pool(1, 1, 1, 1, 1, 0);  // output row 0 reads input row -1 only
  std::vector<int8_t> out(4, 7);
  EXPECT_EQ(tinyml_rt_avg_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(tinyml_rt_max_pool2d_s8(&p, &is, input.data(), &os, out.data()), TINYML_RT_BAD_PARAM);
  EXPECT_EQ(out, std::vector<int8_t>(4, 7));
}

TEST(RuntimePool, RandomShapesMatchTheReferenceExactly) {
  Rng rng(4);
  size_t values = 0;
  for (int iter = 0; iter < 200; ++iter) {
    const int32_t n = rng.uniform(1, 2), ih = rng.uniform(1, 9), iw = rng.uniform(1, 9);
    const int32_t c = rng.uniform(1, 5), fh = rng.uniform(1, 4), fw = rng.uniform(1, 4);
    const int32_t sh = rng.uniform(1, 3), sw = rng.uniform(1, 3);
    const auto padding = static_cast<tinyml_rt_padding>(rng.uniform(0, 1));
    int32_t oh = 0, ow = 0, pt = 0, pl = 0;
    if (tinyml_rt_compute_padding(padding, ih, fh, sh, 1, &oh, &pt) != TINYML_RT_OK ||
        tinyml_rt_compute_padding(padding, iw, fw, sw, 1, &ow, &pl) != TINYML_RT_OK) {
      continue;
    }
    const int32_t lo = rng.uniform(-128, -60), hi = rng.uniform(60, 127);
    const auto p = pool(fh, fw, sh, sw, pt, pl, lo, hi);
    const auto is = shape({n, ih, iw, c}), os = shape({n, oh, ow, c});
    const auto input = rng.int8s(count(is));
    std::vector<int32_t> want_avg, want_max;
    for (int32_t b = 0; b < n; ++b)
      for (int32_t y = 0; y < oh; ++y)
        for (int32_t x = 0; x < ow; ++x)
          for (int32_t ch = 0; ch < c; ++ch) {
            double sum = 0;
            int32_t pixels = 0, best = -128;
            for (int32_t ky = 0; ky < fh; ++ky)
              for (int32_t kx = 0; kx < fw; ++kx) {
                const int32_t iy = y * sh - pt + ky, ix = x * sw - pl + kx;
                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                const int32_t v = input[((b * ih + iy) * iw + ix) * c + ch];
                sum += v;
                best = std::max(best, v);
                ++pixels;
              }
            want_avg.push_back(std::clamp(static_cast<int32_t>(std::round(sum / pixels)), lo, hi));
            want_max.push_back(std::clamp(best, lo, hi));
          }
    ASSERT_EQ(tinyml_rt_avg_pool2d_s8_scratch_size(&p, &is, &os), 0u);
    ASSERT_EQ(tinyml_rt_max_pool2d_s8_scratch_size(&p, &is, &os), 0u);
    std::vector<int8_t> avg(count(os)), max(count(os));
    ASSERT_EQ(tinyml_rt_avg_pool2d_s8(&p, &is, input.data(), &os, avg.data()), TINYML_RT_OK);
    ASSERT_EQ(tinyml_rt_max_pool2d_s8(&p, &is, input.data(), &os, max.data()), TINYML_RT_OK);
    EXPECT_EQ(std::vector<int32_t>(avg.begin(), avg.end()), want_avg);
    EXPECT_EQ(std::vector<int32_t>(max.begin(), max.end()), want_max);
    values += avg.size();
  }
  EXPECT_GT(values, 1000u);
}

TEST(RuntimeMean, HandWorked) {
  // 2x2 pixels, two channels; same scale in and out (multiplier 1.0 = (2^30, 1)).
  // count 4: s = 2, multiplier' = 2^32 / 4 = 2^30, shift' = -1.
  // Channel 0: sum 10 -> SRDHM(10, 2^30) = 5 -> 5 / 2 = 2.5 -> 3 (the mean is 2.5).
  // Channel 1: sum -5 -> -2.5 -> -2 (tie toward +inf) -> -2 / 2 = -1 (the mean is -1.25).
  const std::vector<int8_t> input = {1, -1, 2, -1, 3, -1, 4, -2};
  const auto is = shape({1, 2, 2, 2}), os = shape({1, 1, 1, 2});
  tinyml_rt_mean_params p{0, 0, 1 << 30, 1};
  rt_test::Scratch scratch(tinyml_rt_mean_hw_s8_scratch_size(&p, &is, &os));
  EXPECT_EQ(scratch.size, 2 * sizeof(int32_t));
  std::vector<int8_t> out(2);
  ASSERT_EQ(tinyml_rt_mean_hw_s8(&p, &is, input.data(), &os, out.data(), scratch.data(),
                                 scratch.size),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{3, -1}));
  // Three pixels: s = 1, multiplier' = 2^31 / 3 truncated = 715827882, shift' = 0; a sum of
  // 5 gives 5 * 715827882 / 2^31 = 1.67 -> 2. With zero points 1 (in) and -3 (out), the
  // inputs 2 3 4 are 1 2 3 above the zero point: sum 6, mean 2, out -1.
  const std::vector<int8_t> three = {1, 2, 2};
  const auto is3 = shape({1, 1, 3, 1}), os3 = shape({1, 1});
  std::vector<int8_t> out1(1);
  rt_test::Scratch s3(tinyml_rt_mean_hw_s8_scratch_size(&p, &is3, &os3));
  ASSERT_EQ(tinyml_rt_mean_hw_s8(&p, &is3, three.data(), &os3, out1.data(), s3.data(), s3.size),
            TINYML_RT_OK);
  EXPECT_EQ(out1[0], 2);
  const std::vector<int8_t> shifted = {2, 3, 4};
  const tinyml_rt_mean_params pz{1, -3, 1 << 30, 1};
  ASSERT_EQ(tinyml_rt_mean_hw_s8(&pz, &is3, shifted.data(), &os3, out1.data(), s3.data(),
                                 s3.size),
            TINYML_RT_OK);
  EXPECT_EQ(out1[0], -1);
}

TEST(RuntimeMean, ScratchMustBeWhatItAsksFor) {
  const std::vector<int8_t> input(2 * 3 * 5, 1);
  const auto is = shape({1, 2, 3, 5}), os = shape({1, 1, 1, 5});
  const tinyml_rt_mean_params p{0, 0, 1 << 30, 1};
  const size_t need = tinyml_rt_mean_hw_s8_scratch_size(&p, &is, &os);
  ASSERT_EQ(need, 5 * sizeof(int32_t));
  rt_test::Scratch short_scratch(need - 4);
  std::vector<int8_t> out(5);
  EXPECT_EQ(tinyml_rt_mean_hw_s8(&p, &is, input.data(), &os, out.data(), short_scratch.data(),
                                 short_scratch.size),
            TINYML_RT_SCRATCH_TOO_SMALL);
  EXPECT_EQ(tinyml_rt_mean_hw_s8(&p, &is, input.data(), &os, out.data(), nullptr, 0),
            TINYML_RT_SCRATCH_TOO_SMALL);
}

TEST(RuntimeMean, RandomShapesAgreeWithFloatReference) {
  Rng rng(5);
  size_t values = 0, inside = 0;
  for (int iter = 0; iter < 150; ++iter) {
    const int32_t n = rng.uniform(1, 2), h = rng.uniform(1, 12), w = rng.uniform(1, 12);
    const int32_t c = rng.uniform(1, 8);
    const auto is = shape({n, h, w, c});
    const auto os = rng.uniform(0, 1) ? shape({n, 1, 1, c}) : shape({n, c});
    const auto input = rng.int8s(count(is));
    const float in_scale = rng.scale(0.01f, 0.1f);
    const int32_t in_zp = rng.uniform(-20, 20);
    std::vector<double> real(count(os));
    for (int32_t b = 0; b < n; ++b)
      for (int32_t ch = 0; ch < c; ++ch) {
        double sum = 0;
        for (int32_t i = 0; i < h * w; ++i) {
          sum += rt_test::dequantize_ref(input[(b * h * w + i) * c + ch], in_scale, in_zp);
        }
        real[b * c + ch] = sum / (h * w);
      }
    const auto oq = rt_test::pick_output_quant(real);
    tinyml_rt_mean_params p{};
    ASSERT_EQ(tinyml_rt_prepare_mean(in_scale, in_zp, oq.scale, oq.zero_point, &p), TINYML_RT_OK);
    std::vector<int32_t> want;
    for (double r : real) want.push_back(rt_test::quantize_ref(r, oq.scale, oq.zero_point));
    rt_test::Scratch scratch(tinyml_rt_mean_hw_s8_scratch_size(&p, &is, &os));
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_mean_hw_s8(&p, &is, input.data(), &os, out.data(), scratch.data(),
                                   scratch.size),
              TINYML_RT_OK);
    rt_test::expect_within_one(out, want);
    values += out.size();
    inside += rt_test::unclamped(want);
  }
  EXPECT_GT(values, 500u);
  EXPECT_GT(inside * 2, values);
}

}  // namespace
