// Conv2D, DepthwiseConv2D and FullyConnected: hand-worked cases, and random shapes,
// strides, dilations and paddings against a double-precision reference (dequantize,
// compute, quantize) that the int8 result must match within one step. Buffers are
// std::vectors of the exact sizes, so ASan reports any access outside them.
#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

// A Q31 multiplier and shift for a power of two 2^p: (2^30, p + 1).
constexpr int32_t kHalf = 1 << 30;

// Random window geometry for convolutions: returns false when VALID padding does not fit.
struct Geometry {
  int32_t n, ih, iw, kh, kw, oh, ow;
  tinyml_rt_window window;
  int32_t dh, dw;
};

bool random_geometry(Rng& rng, Geometry* g) {
  g->n = rng.uniform(1, 2);
  g->ih = rng.uniform(1, 9);
  g->iw = rng.uniform(1, 9);
  g->kh = rng.uniform(1, 4);
  g->kw = rng.uniform(1, 4);
  g->window.stride_h = rng.uniform(1, 3);
  g->window.stride_w = rng.uniform(1, 3);
  g->dh = rng.uniform(1, 2);
  g->dw = rng.uniform(1, 2);
  const auto padding = static_cast<tinyml_rt_padding>(rng.uniform(0, 1));
  return tinyml_rt_compute_padding(padding, g->ih, g->kh, g->window.stride_h, g->dh, &g->oh,
                                   &g->window.pad_top) == TINYML_RT_OK &&
         tinyml_rt_compute_padding(padding, g->iw, g->kw, g->window.stride_w, g->dw, &g->ow,
                                   &g->window.pad_left) == TINYML_RT_OK;
}

// The double-precision reference of a convolution: for every output value [b][y][x][o],
// bias[o] * input_scale * w_scale[o] plus, for every window tap (ky, kx) inside the
// input, tap(b, iy, ix, ky, kx, o) (the real product summed over what the tap reads).
template <typename Tap>
std::vector<double> conv_reference(const Geometry& g, int32_t out_ch, const std::vector<int32_t>& bias,
                                   double in_scale, const std::vector<float>& w_scales, Tap tap) {
  std::vector<double> real;
  for (int32_t b = 0; b < g.n; ++b)
    for (int32_t y = 0; y < g.oh; ++y)
      for (int32_t x = 0; x < g.ow; ++x)
        for (int32_t o = 0; o < out_ch; ++o) {
          double sum = bias[o] * in_scale * w_scales[o];
          for (int32_t ky = 0; ky < g.kh; ++ky)
            for (int32_t kx = 0; kx < g.kw; ++kx) {
              const int32_t iy = y * g.window.stride_h - g.window.pad_top + ky * g.dh;
              const int32_t ix = x * g.window.stride_w - g.window.pad_left + kx * g.dw;
              if (iy < 0 || iy >= g.ih || ix < 0 || ix >= g.iw) continue;
              sum += tap(b, iy, ix, ky, kx, o);
            }
          real.push_back(sum);
        }
  return real;
}

// Random quantization of a layer's input and per-channel weights.
struct LayerQuant {
  float in_scale;
  int32_t in_zp;
  std::vector<float> w_scales;
};
LayerQuant random_layer_quant(Rng& rng, int32_t channels) {
  LayerQuant q{rng.scale(0.005f, 0.05f), rng.uniform(-30, 30), {}};
  for (int32_t c = 0; c < channels; ++c) q.w_scales.push_back(rng.scale(0.002f, 0.02f));
  return q;
}

// The output side of a random case: an output quantization spreading the reference, a
// random fused activation, the kernel's multipliers and the reference's int8 values.
struct OutputSide {
  rt_test::OutQuant q;
  int32_t act_min = -128, act_max = 127;
  std::vector<int32_t> multipliers, shifts, expected;
  tinyml_rt_requant requant() const {
    return {multipliers.data(), shifts.data(), q.zero_point, act_min, act_max};
  }
};
OutputSide output_side(Rng& rng, const LayerQuant& lq, const std::vector<double>& real) {
  OutputSide o;
  o.q = rt_test::pick_output_quant(real);
  rt_test::random_activation(rng, o.q, &o.act_min, &o.act_max);
  const auto channels = static_cast<int32_t>(lq.w_scales.size());
  o.multipliers.resize(lq.w_scales.size());
  o.shifts.resize(lq.w_scales.size());
  EXPECT_EQ(tinyml_rt_prepare_channel_multipliers(lq.in_scale, lq.w_scales.data(), channels,
                                                  o.q.scale, o.multipliers.data(),
                                                  o.shifts.data()),
            TINYML_RT_OK);
  for (double r : real) {
    o.expected.push_back(rt_test::quantize_ref(r, o.q.scale, o.q.zero_point, o.act_min, o.act_max));
  }
  return o;
}

// Tallies over a random test, checked at its end so that it cannot pass on outputs that
// are all clamped.
struct Tally {
  size_t values = 0, inside = 0;
  int off_by_one = 0;
  void add(const OutputSide& o, const std::vector<int8_t>& got) {
    off_by_one += rt_test::expect_within_one(got, o.expected);
    values += got.size();
    inside += rt_test::unclamped(o.expected, o.act_min, o.act_max);
  }
  void check() const {
    EXPECT_GT(values, 1000u);
    EXPECT_GT(inside * 2, values) << "most reference values should lie inside the clamp";
    EXPECT_LT(off_by_one * 20, static_cast<int>(values)) << "off-by-one should be rare";
  }
};

std::vector<int32_t> random_bias(Rng& rng, int32_t n) {
  std::vector<int32_t> b(static_cast<size_t>(n));
  for (auto& v : b) v = rng.uniform(-3000, 3000);
  return b;
}

// ---- Conv2D ------------------------------------------------------------------------------

// The kernel with exactly the scratch it asks for (ASan reports any use beyond it).
tinyml_rt_status conv2d(const tinyml_rt_conv2d_params& p, const tinyml_rt_shape& is, const int8_t* input,
                        const tinyml_rt_shape& fs, const int8_t* filter, const int32_t* bias,
                        const tinyml_rt_shape& os, int8_t* out) {
  rt_test::Scratch scratch(tinyml_rt_conv2d_s8_scratch_size(&p, &is, &fs, &os));
  return tinyml_rt_conv2d_s8(&p, &is, input, &fs, filter, bias, &os, out, scratch.data(), scratch.size);
}

TEST(RuntimeConv2d, HandWorkedValid) {
  // Input 3x3 (zero point 1), filter 2x2 [[1, 2], [3, 4]], bias 10, multiplier 0.5,
  // output zero point -5. Input minus zero point is [[1,2,3],[4,5,6],[7,8,9]]:
  // (0,0): 1+4+12+20 = 37, +10 = 47, x0.5 = 23.5 -> 24, -5 = 19
  // (0,1): 2+6+15+24 = 47, 57 -> 28.5 -> 29 -> 24;  (1,0): 77 -> 39 -> 34;  (1,1): 87 -> 39
  const std::vector<int8_t> input = {2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<int8_t> filter = {1, 2, 3, 4};
  const std::vector<int32_t> bias = {10};
  const int32_t mult[] = {kHalf}, shift[] = {0};
  tinyml_rt_conv2d_params p{};
  p.window = {1, 1, 0, 0};
  p.dilation_h = p.dilation_w = 1;
  p.input_zero_point = 1;
  p.out = {mult, shift, -5, -128, 127};
  const auto is = shape({1, 3, 3, 1}), fs = shape({1, 2, 2, 1}), os = shape({1, 2, 2, 1});
  std::vector<int8_t> out(4);
  ASSERT_EQ(conv2d(p, is, input.data(), fs, filter.data(), bias.data(), os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{19, 24, 34, 39}));
}

TEST(RuntimeConv2d, HandWorkedSamePaddingStrideAndClamp) {
  // Same input, 3x3 filter of ones, stride 2, one pixel of padding: padded pixels add
  // nothing (they stand for the zero point). Sums: (0,0) 1+2+4+5 = 12, (0,1) 2+3+5+6 = 16,
  // (1,0) 4+5+7+8 = 24, (1,1) 5+6+8+9 = 28; multiplier 1.0; clamp at 20.
  const std::vector<int8_t> input = {2, 3, 4, 5, 6, 7, 8, 9, 10};
  const std::vector<int8_t> filter(9, 1);
  const int32_t mult[] = {kHalf}, shift[] = {1};
  tinyml_rt_conv2d_params p{};
  p.window = {2, 2, 1, 1};
  p.dilation_h = p.dilation_w = 1;
  p.input_zero_point = 1;
  p.out = {mult, shift, 0, -128, 20};
  const auto is = shape({1, 3, 3, 1}), fs = shape({1, 3, 3, 1}), os = shape({1, 2, 2, 1});
  std::vector<int8_t> out(4);
  ASSERT_EQ(conv2d(p, is, input.data(), fs, filter.data(), nullptr, os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{12, 16, 20, 20}));
}

TEST(RuntimeConv2d, RandomShapesAgreeWithFloatReference) {
  Rng rng(1);
  Tally tally;
  for (int iter = 0; iter < 200; ++iter) {
    Geometry g{};
    if (!random_geometry(rng, &g)) continue;
    const int32_t ic = rng.uniform(1, 6), oc = rng.uniform(1, 6);
    const auto is = shape({g.n, g.ih, g.iw, ic}), fs = shape({oc, g.kh, g.kw, ic});
    const auto os = shape({g.n, g.oh, g.ow, oc});
    const auto input = rng.int8s(count(is));
    const auto filter = rng.int8s(count(fs), -127, 127);
    const auto bias = random_bias(rng, oc);
    const LayerQuant lq = random_layer_quant(rng, oc);

    const auto real = conv_reference(
        g, oc, bias, lq.in_scale, lq.w_scales,
        [&](int32_t b, int32_t iy, int32_t ix, int32_t ky, int32_t kx, int32_t o) {
          double sum = 0;
          for (int32_t c = 0; c < ic; ++c) {
            const int32_t q = input[((b * g.ih + iy) * g.iw + ix) * ic + c];
            const int32_t w = filter[((o * g.kh + ky) * g.kw + kx) * ic + c];
            sum += rt_test::dequantize_ref(q, lq.in_scale, lq.in_zp) * (double{lq.w_scales[o]} * w);
          }
          return sum;
        });
    const OutputSide o = output_side(rng, lq, real);
    tinyml_rt_conv2d_params p{};
    p.window = g.window;
    p.dilation_h = g.dh;
    p.dilation_w = g.dw;
    p.input_zero_point = lq.in_zp;
    p.out = o.requant();
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(conv2d(p, is, input.data(), fs, filter.data(), bias.data(), os, out.data()),
              TINYML_RT_OK);
    tally.add(o, out);
  }
  tally.check();
}

TEST(RuntimeConv2d, Conv1dIsHeightOne) {
  // A 1-D signal [width 5, 2 channels] as [1, 1, 5, 2], filter width 3, stride 1, VALID.
  const std::vector<int8_t> input = {1, 0, 2, 0, 3, 0, 4, 0, 5, 0};
  const std::vector<int8_t> filter = {1, 9, 1, 9, 1, 9};  // channel 1 multiplies zeros
  const int32_t mult[] = {kHalf}, shift[] = {1};
  tinyml_rt_conv2d_params p{};
  p.window = {1, 1, 0, 0};
  p.dilation_h = p.dilation_w = 1;
  p.out = {mult, shift, 0, -128, 127};
  const auto is = shape({1, 1, 5, 2}), fs = shape({1, 1, 3, 2}), os = shape({1, 1, 3, 1});
  std::vector<int8_t> out(3);
  ASSERT_EQ(conv2d(p, is, input.data(), fs, filter.data(), nullptr, os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{6, 9, 12}));  // moving sums of three
}

TEST(RuntimeConv2d, RejectsBadArgumentsWithoutWriting) {
  const std::vector<int8_t> input(9, 1), filter(4, 1);
  const int32_t mult[] = {kHalf}, bad_shift[] = {31}, shift[] = {0};
  tinyml_rt_conv2d_params p{};
  p.window = {1, 1, 0, 0};
  p.dilation_h = p.dilation_w = 1;
  p.out = {mult, shift, 0, -128, 127};
  const auto is = shape({1, 3, 3, 1}), fs = shape({1, 2, 2, 1}), os = shape({1, 2, 2, 1});
  const auto wrong_channels = shape({1, 2, 2, 2});
  std::vector<int8_t> out(4, 42);
  EXPECT_EQ(conv2d(p, is, input.data(), fs, filter.data(), nullptr, wrong_channels, out.data()),
            TINYML_RT_BAD_SHAPE);
  EXPECT_EQ(conv2d(p, is, nullptr, fs, filter.data(), nullptr, os, out.data()),
            TINYML_RT_NULL_POINTER);
  p.out.shift = bad_shift;
  EXPECT_EQ(conv2d(p, is, input.data(), fs, filter.data(), nullptr, os, out.data()),
            TINYML_RT_BAD_PARAM);
  p.out.shift = shift;
  p.window.stride_h = 0;
  EXPECT_EQ(conv2d(p, is, input.data(), fs, filter.data(), nullptr, os, out.data()),
            TINYML_RT_BAD_PARAM);
  EXPECT_EQ(out, std::vector<int8_t>(4, 42));
}

// ---- DepthwiseConv2D ---------------------------------------------------------------------

TEST(RuntimeDepthwiseConv2d, HandWorkedDepthMultiplier) {
  // Input 2x2 with channels (a, b) = (1,10) (2,20) / (3,30) (4,40); multiplier 2, so output
  // channels 0,1 read a and 2,3 read b. Filter [ky][kx][oc]: (0,0) = 1 2 3 4,
  // (0,1) = 1 1 1 1, (1,0) = 0, (1,1) = -1.
  // oc0: 1*1 + 2 - 4 = -1;  oc1: 2*1 + 2 - 4 = 0 (+ bias 5 = 5);
  // oc2: 3*10 + 20 - 40 = 10;  oc3: 4*10 + 20 - 40 = 20 (+ bias 2 = 22).
  // Multipliers 1, 1, 0.5, 0.25: -1, 5, 5, 5.5 -> 6; output zero point 3.
  const std::vector<int8_t> input = {1, 10, 2, 20, 3, 30, 4, 40};
  const std::vector<int8_t> filter = {1, 2, 3, 4, 1, 1, 1, 1, 0, 0, 0, 0, -1, -1, -1, -1};
  const std::vector<int32_t> bias = {0, 5, 0, 2};
  const int32_t mult[] = {kHalf, kHalf, kHalf, kHalf}, shift[] = {1, 1, 0, -1};
  tinyml_rt_depthwise_conv2d_params p{};
  p.window = {1, 1, 0, 0};
  p.dilation_h = p.dilation_w = 1;
  p.depth_multiplier = 2;
  p.out = {mult, shift, 3, -128, 127};
  const auto is = shape({1, 2, 2, 2}), fs = shape({1, 2, 2, 4}), os = shape({1, 1, 1, 4});
  std::vector<int8_t> out(4);
  ASSERT_EQ(tinyml_rt_depthwise_conv2d_s8(&p, &is, input.data(), &fs, filter.data(),
                                          bias.data(), &os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{2, 8, 8, 9}));
}

TEST(RuntimeDepthwiseConv2d, RandomShapesAgreeWithFloatReference) {
  Rng rng(2);
  Tally tally;
  for (int iter = 0; iter < 200; ++iter) {
    Geometry g{};
    if (!random_geometry(rng, &g)) continue;
    const int32_t ic = rng.uniform(1, 5), mult = rng.uniform(1, 3), oc = ic * mult;
    const auto is = shape({g.n, g.ih, g.iw, ic}), fs = shape({1, g.kh, g.kw, oc});
    const auto os = shape({g.n, g.oh, g.ow, oc});
    const auto input = rng.int8s(count(is));
    const auto filter = rng.int8s(count(fs), -127, 127);
    const auto bias = random_bias(rng, oc);
    const LayerQuant lq = random_layer_quant(rng, oc);

    const auto real = conv_reference(
        g, oc, bias, lq.in_scale, lq.w_scales,
        [&](int32_t b, int32_t iy, int32_t ix, int32_t ky, int32_t kx, int32_t o) {
          const int32_t q = input[((b * g.ih + iy) * g.iw + ix) * ic + o / mult];
          const int32_t w = filter[(ky * g.kw + kx) * oc + o];
          return rt_test::dequantize_ref(q, lq.in_scale, lq.in_zp) * (double{lq.w_scales[o]} * w);
        });
    const OutputSide o = output_side(rng, lq, real);
    tinyml_rt_depthwise_conv2d_params p{};
    p.window = g.window;
    p.dilation_h = g.dh;
    p.dilation_w = g.dw;
    p.depth_multiplier = mult;
    p.input_zero_point = lq.in_zp;
    p.out = o.requant();
    ASSERT_EQ(tinyml_rt_depthwise_conv2d_s8_scratch_size(&p, &is, &fs, &os), 0u);
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_depthwise_conv2d_s8(&p, &is, input.data(), &fs, filter.data(),
                                            bias.data(), &os, out.data()),
              TINYML_RT_OK);
    tally.add(o, out);
  }
  tally.check();
}

TEST(RuntimeDepthwiseConv2d, RejectsMismatchedMultiplier) {
  const std::vector<int8_t> input(8, 1), filter(16, 1);
  const int32_t mult[] = {kHalf, kHalf, kHalf, kHalf}, shift[] = {0, 0, 0, 0};
  tinyml_rt_depthwise_conv2d_params p{};
  p.window = {1, 1, 0, 0};
  p.dilation_h = p.dilation_w = 1;
  p.depth_multiplier = 3;  // 2 input channels * 3 != 4 outputs
  p.out = {mult, shift, 0, -128, 127};
  const auto is = shape({1, 2, 2, 2}), fs = shape({1, 2, 2, 4}), os = shape({1, 1, 1, 4});
  std::vector<int8_t> out(4);
  EXPECT_EQ(tinyml_rt_depthwise_conv2d_s8(&p, &is, input.data(), &fs, filter.data(), nullptr,
                                          &os, out.data()),
            TINYML_RT_BAD_SHAPE);
}

// ---- FullyConnected ----------------------------------------------------------------------

TEST(RuntimeFullyConnected, HandWorkedPerTensorAndPerChannel) {
  // Input [1, 2, 3] with zero point -1 -> [2, 3, 4]; weights [[1, 0, -1], [2, 2, 2]];
  // bias [0, -6]: sums -2 and 12. Per tensor x0.5: -1, 6. Per channel x1, x0.25: -2, 3.
  const std::vector<int8_t> input = {1, 2, 3};
  const std::vector<int8_t> filter = {1, 0, -1, 2, 2, 2};
  const std::vector<int32_t> bias = {0, -6};
  const auto is = shape({1, 3}), fs = shape({2, 3}), os = shape({1, 2});
  const int32_t m1[] = {kHalf}, s1[] = {0};
  tinyml_rt_fully_connected_params p{};
  p.input_zero_point = -1;
  p.out = {m1, s1, 0, -128, 127};
  std::vector<int8_t> out(2);
  ASSERT_EQ(tinyml_rt_fully_connected_s8(&p, &is, input.data(), &fs, filter.data(), bias.data(),
                                         &os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{-1, 6}));
  const int32_t m2[] = {kHalf, kHalf}, s2[] = {1, -1};
  p.per_channel = 1;
  p.out = {m2, s2, 0, -128, 127};
  ASSERT_EQ(tinyml_rt_fully_connected_s8(&p, &is, input.data(), &fs, filter.data(), bias.data(),
                                         &os, out.data()),
            TINYML_RT_OK);
  EXPECT_EQ(out, (std::vector<int8_t>{-2, 3}));
}

TEST(RuntimeFullyConnected, RandomShapesAgreeWithFloatReference) {
  Rng rng(3);
  Tally tally;
  for (int iter = 0; iter < 150; ++iter) {
    const int32_t batches = rng.uniform(1, 3), depth = rng.uniform(1, 40), outs = rng.uniform(1, 12);
    const bool per_channel = rng.uniform(0, 1) == 1;
    // The input may be a feature map that the layer flattens: [b, depth] or [b, 1, depth, 1].
    const auto is = rng.uniform(0, 1) ? shape({batches, depth}) : shape({batches, 1, depth, 1});
    const auto fs = shape({outs, depth}), os = shape({batches, outs});
    const auto input = rng.int8s(count(is));
    const auto filter = rng.int8s(count(fs), -127, 127);
    const auto bias = random_bias(rng, outs);
    LayerQuant lq = random_layer_quant(rng, per_channel ? outs : 1);

    std::vector<double> real(count(os));
    for (int32_t b = 0; b < batches; ++b)
      for (int32_t o = 0; o < outs; ++o) {
        const double ws = lq.w_scales[per_channel ? o : 0];
        double sum = bias[o] * static_cast<double>(lq.in_scale) * ws;
        for (int32_t i = 0; i < depth; ++i) {
          sum += rt_test::dequantize_ref(input[b * depth + i], lq.in_scale, lq.in_zp) *
                 (ws * filter[o * depth + i]);
        }
        real[b * outs + o] = sum;
      }
    const OutputSide o = output_side(rng, lq, real);
    tinyml_rt_fully_connected_params p{};
    p.input_zero_point = lq.in_zp;
    p.per_channel = per_channel ? 1 : 0;
    p.out = o.requant();
    ASSERT_EQ(tinyml_rt_fully_connected_s8_scratch_size(&p, &is, &fs, &os), 0u);
    std::vector<int8_t> out(count(os));
    ASSERT_EQ(tinyml_rt_fully_connected_s8(&p, &is, input.data(), &fs, filter.data(),
                                           bias.data(), &os, out.data()),
              TINYML_RT_OK);
    tally.add(o, out);
  }
  tally.check();
}

}  // namespace
