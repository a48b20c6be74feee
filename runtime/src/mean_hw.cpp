// Mean over H and W (global average pooling), int8: TFLite's integer QuantizedMeanOrSum
// (the one TFLite Micro's MEAN runs for int8) for axes {1, 2}:
//   sum[c] = sum of input over h, w;  count = h * w;
//   the multiplier for input_scale / output_scale is divided by count:
//     s = min(floor(log2(count)), 32, 31 + shift);
//     multiplier' = (multiplier * 2^s) / count (64-bit, truncating); shift' = shift - s;
//   out = clamp(MultiplyByQuantizedMultiplier(sum - input_zp * count, multiplier', shift')
//               + output_zp, -128, 127).
// Scratch: one int32 sum per channel.
#include "rt_internal.hpp"

namespace {

// h * w is limited so that sum - zero_point * count fits in int32 (255 * 2^23 < 2^31).
constexpr int64_t kMaxPixels = int64_t{1} << 23;

tinyml_rt_status check(const tinyml_rt_mean_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* out_s) {
  if (p == nullptr || in_s == nullptr || out_s == nullptr) return TINYML_RT_NULL_POINTER;
  int32_t out_count = 0;
  if (!tinyml_rt::is_rank4(in_s) || !tinyml_rt::shape_count(out_s, &out_count) ||
      out_count != in_s->dims[0] * in_s->dims[3] ||
      out_s->dims[out_s->rank - 1] != in_s->dims[3]) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (!tinyml_rt::is_int8(p->input_zero_point) || !tinyml_rt::is_int8(p->output_zero_point) ||
      p->multiplier < 0 || !tinyml_rt::valid_shift(p->shift)) {
    return TINYML_RT_BAD_PARAM;
  }
  if (static_cast<int64_t>(in_s->dims[1]) * in_s->dims[2] > kMaxPixels) {
    return TINYML_RT_UNSUPPORTED;
  }
  return TINYML_RT_OK;
}

}  // namespace

extern "C" {

size_t tinyml_rt_mean_hw_s8_scratch_size(const tinyml_rt_mean_params*,
                                         const tinyml_rt_shape* input_shape,
                                         const tinyml_rt_shape*) {
  if (input_shape == nullptr || !tinyml_rt::is_rank4(input_shape)) return 0;
  return static_cast<size_t>(input_shape->dims[3]) * sizeof(int32_t);
}

tinyml_rt_status tinyml_rt_mean_hw_s8(const tinyml_rt_mean_params* params,
                                      const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output,
                                      void* scratch, size_t scratch_bytes) {
  const tinyml_rt_status st = check(params, input_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  const int32_t channels = input_shape->dims[3];
  if (!tinyml_rt::scratch_fits(scratch, scratch_bytes,
                               static_cast<size_t>(channels) * sizeof(int32_t))) {
    return TINYML_RT_SCRATCH_TOO_SMALL;
  }
  int32_t* sums = static_cast<int32_t*>(scratch);

  const int32_t pixels = input_shape->dims[1] * input_shape->dims[2];
  int32_t s = 0;
  while ((int64_t{2} << s) <= pixels) ++s;  // floor(log2(pixels))
  s = tinyml_rt::min32(s, 32);
  s = tinyml_rt::min32(s, 31 + params->shift);
  const int32_t multiplier =
      static_cast<int32_t>((static_cast<int64_t>(params->multiplier) << s) / pixels);
  const int32_t shift = params->shift - s;
  const int32_t zero_sum = params->input_zero_point * pixels;

  for (int32_t n = 0; n < input_shape->dims[0]; ++n) {
    for (int32_t c = 0; c < channels; ++c) sums[c] = 0;
    const int8_t* in = input + tinyml_rt::nhwc(input_shape, n, 0, 0, 0);
    for (int32_t i = 0; i < pixels; ++i) {
      for (int32_t c = 0; c < channels; ++c) sums[c] += in[c];
      in += channels;
    }
    for (int32_t c = 0; c < channels; ++c) {
      const int32_t v = tinyml_rt::mbqm(sums[c] - zero_sum, multiplier, shift) +
                        params->output_zero_point;
      output[n * channels + c] =
          static_cast<int8_t>(tinyml_rt::clamp32(v, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max));
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
