// MaxPool2D, int8: TFLite's reference integer MaxPool. The largest input value in the
// window (pixels outside the input are skipped), clamped to [act_min, act_max].
//
// portable: one value at a time. fast (the default on cores with the DSP extension): 4
// channels at a time, the byte-lane maximum of SSUB8 + SEL over the window's pixels; the
// channels left over (channels % 4) one at a time. A maximum is a maximum in any order,
// so the outputs are the same.
#include "rt_dsp.hpp"
#include "rt_paths.hpp"

namespace {

void max_pool_portable(const tinyml_rt_pool2d_params& p, const tinyml_rt_shape* input_shape,
                       const int8_t* input, const tinyml_rt_shape* output_shape, int8_t* output) {
  tinyml_rt::pool2d(
      p, input_shape, input, output_shape, output, tinyml_rt::kInt8Min,
      [](int32_t acc, int32_t v) { return tinyml_rt::max32(acc, v); },
      [](int32_t acc, int32_t) { return acc; });
}

void max_pool_fast(const tinyml_rt_pool2d_params& p, const tinyml_rt_shape* in_s, const int8_t* input,
                   const tinyml_rt_shape* out_s, int8_t* output) {
  using namespace tinyml_rt::dsp;
  const int32_t channels = in_s->dims[3], in_w = in_s->dims[2];
  const int32_t groups = channels / 4;
  const int32_t row_bytes = in_w * channels;
  const bool clamp = p.act_min != tinyml_rt::kInt8Min || p.act_max != tinyml_rt::kInt8Max;
  const uint32_t lo4 = 0x01010101u * (static_cast<uint32_t>(p.act_min) & 0xffu);
  const uint32_t hi4 = 0x01010101u * (static_cast<uint32_t>(p.act_max) & 0xffu);
  int8_t* out = output;
  for (int32_t n = 0; n < out_s->dims[0]; ++n) {
    for (int32_t oy = 0; oy < out_s->dims[1]; ++oy) {
      const tinyml_rt::Extent ey =
          tinyml_rt::pool_extent(oy, p.window.stride_h, p.window.pad_top, p.filter_h, in_s->dims[1]);
      const int32_t rows = ey.last - ey.first;
      for (int32_t ox = 0; ox < out_s->dims[2]; ++ox, out += channels) {
        const tinyml_rt::Extent ex =
            tinyml_rt::pool_extent(ox, p.window.stride_w, p.window.pad_left, p.filter_w, in_w);
        const int32_t cols = ex.last - ex.first;
        const int8_t* corner = input + tinyml_rt::nhwc(in_s, n, ey.start + ey.first, ex.start + ex.first, 0);
        for (int32_t g = 0; g < groups; ++g) {
          const int8_t* row = corner + 4 * g;
          uint32_t m = load4(row);
          for (int32_t y = 0; y < rows; ++y, row += row_bytes) {
            const int8_t* px = row;
            for (int32_t x = 0; x < cols; ++x, px += channels) m = max_s8x4(m, load4(px));
          }
          if (clamp) m = min_s8x4(max_s8x4(m, lo4), hi4);
          store4(out + 4 * g, m);
        }
        for (int32_t c = 4 * groups; c < channels; ++c) {
          int32_t m = tinyml_rt::kInt8Min;
          const int8_t* row = corner + c;
          for (int32_t y = 0; y < rows; ++y, row += row_bytes) {
            for (int32_t x = 0; x < cols; ++x) m = tinyml_rt::max32(m, row[x * channels]);
          }
          out[c] = static_cast<int8_t>(tinyml_rt::clamp32(m, p.act_min, p.act_max));
        }
      }
    }
  }
}

// The kernel with its checks, on the portable (Fast = false) or the fast path.
template <bool Fast>
tinyml_rt_status run(const tinyml_rt_pool2d_params* params, const tinyml_rt_shape* input_shape,
                     const int8_t* input, const tinyml_rt_shape* output_shape, int8_t* output) {
  const tinyml_rt_status st = tinyml_rt::check_pool(params, input_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if constexpr (Fast) {
    max_pool_fast(*params, input_shape, input, output_shape, output);
  } else {
    max_pool_portable(*params, input_shape, input, output_shape, output);
  }
  return TINYML_RT_OK;
}

}  // namespace

tinyml_rt::MaxPoolKernel* const tinyml_rt::max_pool2d_s8_portable = run<false>;
tinyml_rt::MaxPoolKernel* const tinyml_rt::max_pool2d_s8_fast = run<true>;

extern "C" {

size_t tinyml_rt_max_pool2d_s8_scratch_size(const tinyml_rt_pool2d_params*,
                                            const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_max_pool2d_s8(const tinyml_rt_pool2d_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const int8_t* input,
                                         const tinyml_rt_shape* output_shape,
                                         int8_t* output) {
  return run<TINYML_RT_FAST_PATHS != 0>(params, input_shape, input, output_shape, output);
}

}  // extern "C"
