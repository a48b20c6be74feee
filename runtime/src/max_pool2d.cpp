// MaxPool2D, int8: TFLite's reference integer MaxPool. The largest input value in the
// window (pixels outside the input are skipped), clamped to [act_min, act_max].
#include "rt_internal.hpp"

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
  const tinyml_rt_status st = tinyml_rt::check_pool(params, input_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;

  tinyml_rt::pool2d(
      *params, input_shape, input, output_shape, output, tinyml_rt::kInt8Min,
      [](int32_t acc, int32_t v) { return tinyml_rt::max32(acc, v); },
      [](int32_t acc, int32_t) { return acc; });
  return TINYML_RT_OK;
}

}  // extern "C"
