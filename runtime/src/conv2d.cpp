// Conv2D, int8, per-channel weights: TFLite's reference ConvPerChannel.
//   acc = bias[oc] + sum over (ky, kx, ic) of filter * (input - input_zero_point),
//   positions outside the input skipped; out = requantize(acc, channel oc).
#include "rt_internal.hpp"

namespace {

tinyml_rt_status check(const tinyml_rt_conv2d_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* f_s, const tinyml_rt_shape* out_s) {
  const tinyml_rt_status st = tinyml_rt::check_conv_shapes(p, in_s, f_s, out_s);
  if (st != TINYML_RT_OK) return st;
  const int32_t out_ch = f_s->dims[0];
  if (f_s->dims[3] != in_s->dims[3] || out_s->dims[3] != out_ch) return TINYML_RT_BAD_SHAPE;
  const int64_t terms = static_cast<int64_t>(f_s->dims[1]) * f_s->dims[2] * f_s->dims[3];
  return tinyml_rt::check_conv_params(*p, terms, out_ch);
}

}  // namespace

extern "C" {

size_t tinyml_rt_conv2d_s8_scratch_size(const tinyml_rt_conv2d_params*, const tinyml_rt_shape*,
                                        const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_conv2d_s8(const tinyml_rt_conv2d_params* params,
                                     const tinyml_rt_shape* input_shape, const int8_t* input,
                                     const tinyml_rt_shape* filter_shape,
                                     const int8_t* filter, const int32_t* bias,
                                     const tinyml_rt_shape* output_shape, int8_t* output) {
  const tinyml_rt_status st = check(params, input_shape, filter_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || filter == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;

  const tinyml_rt_conv2d_params& p = *params;
  const int32_t in_h = input_shape->dims[1], in_w = input_shape->dims[2];
  const int32_t in_ch = input_shape->dims[3];
  const int32_t k_h = filter_shape->dims[1], k_w = filter_shape->dims[2];
  const int32_t out_ch = filter_shape->dims[0];
  const int32_t input_offset = -p.input_zero_point;

  for (int32_t n = 0; n < output_shape->dims[0]; ++n) {
    for (int32_t oy = 0; oy < output_shape->dims[1]; ++oy) {
      const int32_t y0 = oy * p.window.stride_h - p.window.pad_top;
      for (int32_t ox = 0; ox < output_shape->dims[2]; ++ox) {
        const int32_t x0 = ox * p.window.stride_w - p.window.pad_left;
        int8_t* out = output + tinyml_rt::nhwc(output_shape, n, oy, ox, 0);
        for (int32_t oc = 0; oc < out_ch; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t y = y0 + ky * p.dilation_h;
            if (y < 0 || y >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t x = x0 + kx * p.dilation_w;
              if (x < 0 || x >= in_w) continue;
              const int8_t* in = input + tinyml_rt::nhwc(input_shape, n, y, x, 0);
              const int8_t* w = filter + ((oc * k_h + ky) * k_w + kx) * in_ch;
              for (int32_t ic = 0; ic < in_ch; ++ic) {
                acc += static_cast<int32_t>(w[ic]) * (static_cast<int32_t>(in[ic]) + input_offset);
              }
            }
          }
          if (bias != nullptr) acc = tinyml_rt::wrap_add(acc, bias[oc]);
          out[oc] = tinyml_rt::requantize(acc, p.out, oc);
        }
      }
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
