// AveragePool2D, int8: TFLite's reference integer AveragePool. The sum of the window's
// input pixels (pixels outside the input are skipped and not counted) divided by their
// count, rounded half away from zero:
//   sum > 0: (sum + count / 2) / count, else (sum - count / 2) / count (C division),
// then clamped to [act_min, act_max]. Input and output share one quantization.
#include "rt_internal.hpp"

extern "C" {

size_t tinyml_rt_avg_pool2d_s8_scratch_size(const tinyml_rt_pool2d_params*,
                                            const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_avg_pool2d_s8(const tinyml_rt_pool2d_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const int8_t* input,
                                         const tinyml_rt_shape* output_shape,
                                         int8_t* output) {
  const tinyml_rt_status st = tinyml_rt::check_pool(params, input_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  // The sum of a window must fit in int32: at most 2^24 pixels of |value| <= 128.
  if (static_cast<int64_t>(params->filter_h) * params->filter_w > (int64_t{1} << 24)) {
    return TINYML_RT_UNSUPPORTED;
  }

  tinyml_rt::pool2d(
      *params, input_shape, input, output_shape, output, 0,
      [](int32_t acc, int32_t v) { return acc + v; },
      [](int32_t sum, int32_t count) {
        return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
      });
  return TINYML_RT_OK;
}

}  // extern "C"
