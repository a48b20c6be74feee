// Reshape / Flatten: the values stay in the same order, only the shape changes, so the
// kernel is a copy (or nothing, when the output is the input buffer).
#include "rt_internal.hpp"

extern "C" {

size_t tinyml_rt_reshape_s8_scratch_size(const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_reshape_s8(const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output) {
  if (input_shape == nullptr || output_shape == nullptr) return TINYML_RT_NULL_POINTER;
  int32_t in_count = 0, out_count = 0;
  if (!tinyml_rt::shape_count(input_shape, &in_count) ||
      !tinyml_rt::shape_count(output_shape, &out_count) || in_count != out_count) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if (input == output) return TINYML_RT_OK;
  const uintptr_t a = reinterpret_cast<uintptr_t>(input);
  const uintptr_t b = reinterpret_cast<uintptr_t>(output);
  const uintptr_t n = static_cast<uintptr_t>(in_count);
  if (a < b + n && b < a + n) return TINYML_RT_BAD_PARAM;  // partial overlap
  for (int32_t i = 0; i < in_count; ++i) output[i] = input[i];
  return TINYML_RT_OK;
}

}  // extern "C"
