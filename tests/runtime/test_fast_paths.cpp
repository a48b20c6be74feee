// The fast paths (rt_dsp.hpp: restructured loops, dual 16-bit multiply-accumulates) against
// the portable reference kernels, bit for bit. On the host the DSP instructions are their
// plain C++ equivalents, so these tests run the fast paths' loop structure, column
// layouts and leftovers under AddressSanitizer with exact-size buffers; tests/deploy runs
// the same kernels with the real instructions on the emulated cores.
#include <climits>

#include "rt_dsp.hpp"
#include "rt_paths.hpp"
#include "rt_test_util.hpp"

namespace {

using rt_test::count;
using rt_test::Rng;
using rt_test::shape;

// ---- the requantization --------------------------------------------------------------

int8_t requantize_fast(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  using namespace tinyml_rt::dsp;
  const tinyml_rt_requant q{&multiplier, &shift, zp, lo, hi};
  const ChannelRequant r = channel_requant(q, 0);
  const OutputClamp o = output_clamp(q);
  const int8_t v = requantize_fast<false>(acc, r, o, shift);
  if (o.full()) {
    EXPECT_EQ(requantize_fast<true>(acc, r, o, shift), v);
  }
  return v;
}
int8_t requantize_ref(int32_t acc, int32_t multiplier, int32_t shift, int32_t zp, int32_t lo, int32_t hi) {
  const tinyml_rt_requant q{&multiplier, &shift, zp, lo, hi};
  return tinyml_rt::requantize(acc, q, 0);
}

TEST(RuntimeFastPaths, RequantizationIsTheSameFunction) {
  Rng rng(11);
  const int32_t accs[] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535, INT32_MAX - 1, INT32_MAX};
  const int32_t mults[] = {INT32_MIN, -1, 0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX};
  for (int32_t shift = -31; shift <= 30; ++shift)
    for (int32_t acc : accs)
      for (int32_t m : mults)
        for (int32_t zp : {-128, 0, 127})
          ASSERT_EQ(requantize_fast(acc, m, shift, zp, -128, 127), requantize_ref(acc, m, shift, zp, -128, 127))
              << acc << " " << m << " " << shift << " " << zp;
  for (int i = 0; i < 2000000; ++i) {
    const auto acc = static_cast<int32_t>(rng.uniform(INT32_MIN, INT32_MAX) >> rng.uniform(0, 31));
    const int32_t m = rng.uniform(0, 3) == 0 ? rng.uniform(INT32_MIN, INT32_MAX) : rng.uniform(1 << 30, INT32_MAX);
    const int32_t shift = rng.uniform(-31, 30), zp = rng.uniform(-128, 127);
    const int32_t lo = rng.uniform(-128, 127), hi = rng.uniform(lo, 127);
    ASSERT_EQ(requantize_fast(acc, m, shift, zp, lo, hi), requantize_ref(acc, m, shift, zp, lo, hi))
        << acc << " " << m << " " << shift << " " << zp << " [" << lo << ", " << hi << "]";
  }
}

// ---- the instructions' plain C++ forms ---------------------------------------------------

TEST(RuntimeFastPaths, LaneHelpersUnpackAsTheInstructions) {
  using namespace tinyml_rt::dsp;
  const uint32_t bytes = 0x80ff7f01u;  // byte 0 = 1, 1 = 127, 2 = -1, 3 = -128
  EXPECT_EQ(sxtb16(bytes), pack16(1, -1));
  EXPECT_EQ(sxtb16_ror8(bytes), pack16(127, -128));
  EXPECT_EQ(sxtab16(pack16(128, -128), bytes), pack16(129, -129));
  EXPECT_EQ(sxtab16_ror8(pack16(-127, 127), bytes), pack16(0, -1));
  EXPECT_EQ(smlad(pack16(-32768, 255), pack16(-32768, -255), 5), 5 + (1 << 30) - 65025);
  // 2^31 - 1 + 2^30 + 2^30 wraps to -1, as the instruction's 32-bit sum does.
  EXPECT_EQ(smlad(pack16(-32768, -32768), pack16(-32768, -32768), INT32_MAX), -1);
  EXPECT_EQ(max_s8x4(0x80ff7f01u, 0x7f00807fu), 0x7f007f7fu);
  EXPECT_EQ(min_s8x4(0x80ff7f01u, 0x7f00807fu), 0x80ff8001u);
  EXPECT_EQ(qadd(INT32_MAX, 1), INT32_MAX);
  EXPECT_EQ(qadd(INT32_MIN, -1), INT32_MIN);
  EXPECT_EQ(qadd(-5, 3), -2);
}

// ---- Conv2D ------------------------------------------------------------------------------

struct ConvCase {
  tinyml_rt_conv2d_params p{};
  tinyml_rt_shape is{}, fs{}, os{};
  std::vector<int8_t> input, filter;
  std::vector<int32_t> bias, multipliers, shifts;
  bool with_bias = true;
};

// Values at the int8 extremes with probability `extreme`, else uniform.
std::vector<int8_t> edgy_int8s(Rng& rng, size_t n, double extreme) {
  std::vector<int8_t> v = rng.int8s(n);
  for (auto& x : v)
    if (rng.real(0, 1) < extreme) x = static_cast<int8_t>(rng.uniform(0, 1) ? 127 : -128);
  return v;
}

// Random per-channel requantization: mostly realistic multipliers and right shifts, some
// left shifts and extremes; a random clamp; zero points often at the ends of the range.
void random_requant(Rng& rng, int32_t channels, std::vector<int32_t>& mult, std::vector<int32_t>& shift,
                    tinyml_rt_requant& q) {
  mult.resize(static_cast<size_t>(channels));
  shift.resize(static_cast<size_t>(channels));
  for (int32_t c = 0; c < channels; ++c) {
    mult[c] = rng.uniform(0, 9) == 0 ? rng.uniform(INT32_MIN, INT32_MAX) : rng.uniform(1 << 30, INT32_MAX);
    shift[c] = rng.uniform(0, 9) == 0 ? rng.uniform(-31, 30) : rng.uniform(-12, 1);
  }
  const int32_t zps[] = {-128, 127, rng.uniform(-128, 127)};
  q.multiplier = mult.data();
  q.shift = shift.data();
  q.output_zero_point = zps[rng.uniform(0, 2)];
  q.act_min = rng.uniform(0, 1) ? -128 : rng.uniform(-128, 127);
  q.act_max = rng.uniform(0, 1) ? 127 : rng.uniform(q.act_min, 127);
}

ConvCase random_conv(Rng& rng) {
  ConvCase c;
  const int32_t n = rng.uniform(1, 2), ih = rng.uniform(1, 9), iw = rng.uniform(1, 9);
  const int32_t kh = rng.uniform(1, 4), kw = rng.uniform(1, 4);
  const int32_t ic = rng.uniform(0, 2) == 0 ? 4 * rng.uniform(1, 4) : rng.uniform(1, 11);
  const int32_t oc = rng.uniform(1, 9);
  auto& p = c.p;
  p.window.stride_h = rng.uniform(1, 3);
  p.window.stride_w = rng.uniform(1, 3);
  p.dilation_h = rng.uniform(1, 3);
  p.dilation_w = rng.uniform(1, 3);
  p.window.pad_top = rng.uniform(0, kh);
  p.window.pad_left = rng.uniform(0, kw);
  const int32_t zps[] = {-128, 127, rng.uniform(-128, 127)};
  p.input_zero_point = zps[rng.uniform(0, 2)];
  // Output size: every window that starts at most at the last input row (some windows
  // then lie partly or wholly in the padding).
  const int32_t oh = (ih - 1 + p.window.pad_top) / p.window.stride_h + 1;
  const int32_t ow = (iw - 1 + p.window.pad_left) / p.window.stride_w + 1;
  c.is = shape({n, ih, iw, ic});
  c.fs = shape({oc, kh, kw, ic});
  c.os = shape({n, oh, ow, oc});
  const double extreme = rng.uniform(0, 1) ? 0.3 : 0.0;
  c.input = edgy_int8s(rng, count(c.is), extreme);
  c.filter = edgy_int8s(rng, count(c.fs), extreme);
  c.bias.resize(static_cast<size_t>(oc));
  for (auto& b : c.bias) b = rng.uniform(0, 9) == 0 ? rng.uniform(INT32_MIN, INT32_MAX) : rng.uniform(-50000, 50000);
  c.with_bias = rng.uniform(0, 4) != 0;
  random_requant(rng, oc, c.multipliers, c.shifts, p.out);
  return c;
}

template <typename Kernel>
std::vector<int8_t> run_conv(const ConvCase& c, Kernel kernel) {
  rt_test::Scratch scratch(tinyml_rt_conv2d_s8_scratch_size(&c.p, &c.is, &c.fs, &c.os));
  std::vector<int8_t> out(count(c.os));
  EXPECT_EQ(kernel(&c.p, &c.is, c.input.data(), &c.fs, c.filter.data(), c.with_bias ? c.bias.data() : nullptr,
                   &c.os, out.data(), scratch.data(), scratch.size),
            TINYML_RT_OK);
  return out;
}

TEST(RuntimeFastPaths, Conv2dScratchHoldsColumnsTableAndPaddedRows) {
  tinyml_rt_conv2d_params p{};
  // 3x3, 1 input channel: runs of 3 bytes padded to 4, K4 = 12: two columns of 12 int16,
  // 8 table entries of 20 bytes, 8 filter rows of 12 bytes, a 4-byte run staging.
  const auto is = shape({1, 28, 28, 1}), fs = shape({8, 3, 3, 1}), os = shape({1, 28, 28, 8});
  EXPECT_EQ(tinyml_rt_conv2d_s8_scratch_size(&p, &is, &fs, &os), 4u * 12 + 20 * 8 + 8 * 12 + 4);
  // 8 input channels: runs of 24 bytes, K4 = 72, no padded rows, no staging.
  const auto is2 = shape({1, 14, 14, 8}), fs2 = shape({16, 3, 3, 8}), os2 = shape({1, 14, 14, 16});
  EXPECT_EQ(tinyml_rt_conv2d_s8_scratch_size(&p, &is2, &fs2, &os2), 4u * 72 + 20 * 16);
}

TEST(RuntimeFastPaths, Conv2dIsBitExactWithThePortableKernel) {
  Rng rng(21);
  size_t values = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const ConvCase c = random_conv(rng);
    const auto want = run_conv(c, tinyml_rt::conv2d_s8_portable);
    const auto got = run_conv(c, tinyml_rt::conv2d_s8_fast);
    ASSERT_EQ(got, want) << "case " << iter;
    values += got.size();
  }
  EXPECT_GT(values, 100000u);
}

TEST(RuntimeFastPaths, Conv2dChecksScratch) {
  Rng rng(22);
  const ConvCase c = random_conv(rng);
  const size_t need = tinyml_rt_conv2d_s8_scratch_size(&c.p, &c.is, &c.fs, &c.os);
  ASSERT_GT(need, 0u);
  std::vector<int32_t> words(need / 4 + 1);
  std::vector<int8_t> out(count(c.os), 42);
  for (auto* kernel : {tinyml_rt::conv2d_s8_portable, tinyml_rt::conv2d_s8_fast}) {
    EXPECT_EQ(kernel(&c.p, &c.is, c.input.data(), &c.fs, c.filter.data(), nullptr, &c.os, out.data(), words.data(),
                     need - 1),
              TINYML_RT_SCRATCH_TOO_SMALL);
    EXPECT_EQ(kernel(&c.p, &c.is, c.input.data(), &c.fs, c.filter.data(), nullptr, &c.os, out.data(),
                     reinterpret_cast<char*>(words.data()) + 2, need),
              TINYML_RT_SCRATCH_TOO_SMALL);
    EXPECT_EQ(kernel(&c.p, &c.is, c.input.data(), &c.fs, c.filter.data(), nullptr, &c.os, out.data(), nullptr, need),
              TINYML_RT_SCRATCH_TOO_SMALL);
  }
  EXPECT_EQ(out, std::vector<int8_t>(count(c.os), 42));
}

// ---- FullyConnected ----------------------------------------------------------------------

TEST(RuntimeFastPaths, FullyConnectedIsBitExactWithThePortableKernel) {
  Rng rng(31);
  size_t values = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const int32_t batches = rng.uniform(1, 3), depth = rng.uniform(1, 70), outs = rng.uniform(1, 11);
    tinyml_rt_fully_connected_params p{};
    const int32_t zps[] = {-128, 127, rng.uniform(-128, 127)};
    p.input_zero_point = zps[rng.uniform(0, 2)];
    p.filter_zero_point = rng.uniform(0, 2) == 0 ? zps[rng.uniform(0, 2)] : 0;
    p.per_channel = rng.uniform(0, 1);
    std::vector<int32_t> mult, shift;
    random_requant(rng, p.per_channel ? outs : 1, mult, shift, p.out);
    const auto is = rng.uniform(0, 1) ? shape({batches, depth}) : shape({batches, 1, depth, 1});
    const auto fs = shape({outs, depth}), os = shape({batches, outs});
    const double extreme = rng.uniform(0, 1) ? 0.3 : 0.0;
    const auto input = edgy_int8s(rng, count(is), extreme), filter = edgy_int8s(rng, count(fs), extreme);
    std::vector<int32_t> bias(static_cast<size_t>(outs));
    for (auto& b : bias) b = rng.uniform(0, 9) == 0 ? rng.uniform(INT32_MIN, INT32_MAX) : rng.uniform(-50000, 50000);
    const int32_t* b = rng.uniform(0, 4) ? bias.data() : nullptr;
    ASSERT_EQ(tinyml_rt_fully_connected_s8_scratch_size(&p, &is, &fs, &os), 0u);
    std::vector<int8_t> want(count(os)), got(count(os));
    ASSERT_EQ(tinyml_rt::fully_connected_s8_portable(&p, &is, input.data(), &fs, filter.data(), b, &os, want.data()),
              TINYML_RT_OK);
    ASSERT_EQ(tinyml_rt::fully_connected_s8_fast(&p, &is, input.data(), &fs, filter.data(), b, &os, got.data()),
              TINYML_RT_OK);
    ASSERT_EQ(got, want) << "case " << iter;
    values += got.size();
  }
  EXPECT_GT(values, 10000u);
}

// ---- MaxPool2D ---------------------------------------------------------------------------

TEST(RuntimeFastPaths, MaxPoolIsBitExactWithThePortableKernel) {
  Rng rng(41);
  size_t values = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    tinyml_rt_pool2d_params p{};
    const int32_t n = rng.uniform(1, 2), ih = rng.uniform(1, 9), iw = rng.uniform(1, 9), ch = rng.uniform(1, 13);
    p.filter_h = rng.uniform(1, 4);
    p.filter_w = rng.uniform(1, 4);
    p.window.stride_h = rng.uniform(1, 3);
    p.window.stride_w = rng.uniform(1, 3);
    p.window.pad_top = rng.uniform(0, p.filter_h - 1);
    p.window.pad_left = rng.uniform(0, p.filter_w - 1);
    p.act_min = rng.uniform(0, 1) ? -128 : rng.uniform(-128, 127);
    p.act_max = rng.uniform(0, 1) ? 127 : rng.uniform(p.act_min, 127);
    const int32_t oh = (ih - 1 + p.window.pad_top) / p.window.stride_h + 1;
    const int32_t ow = (iw - 1 + p.window.pad_left) / p.window.stride_w + 1;
    const auto is = shape({n, ih, iw, ch}), os = shape({n, oh, ow, ch});
    const auto input = edgy_int8s(rng, count(is), rng.uniform(0, 1) ? 0.3 : 0.0);
    std::vector<int8_t> want(count(os)), got(count(os));
    ASSERT_EQ(tinyml_rt::max_pool2d_s8_portable(&p, &is, input.data(), &os, want.data()), TINYML_RT_OK);
    ASSERT_EQ(tinyml_rt::max_pool2d_s8_fast(&p, &is, input.data(), &os, got.data()), TINYML_RT_OK);
    ASSERT_EQ(got, want) << "case " << iter;
    values += got.size();
  }
  EXPECT_GT(values, 50000u);
}

}  // namespace
