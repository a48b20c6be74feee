// Pad, int8: TFLite's PAD / PADV2 with a constant. The output is the input surrounded by
// before[d] and after[d] values equal to pad_value along each dimension d.
#include "rt_internal.hpp"

namespace {

tinyml_rt_status check(const tinyml_rt_pad_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* out_s) {
  if (p == nullptr || in_s == nullptr || out_s == nullptr) return TINYML_RT_NULL_POINTER;
  int32_t n = 0;
  if (!tinyml_rt::shape_count(in_s, &n) || !tinyml_rt::shape_count(out_s, &n) ||
      in_s->rank != out_s->rank) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (!tinyml_rt::is_int8(p->pad_value)) return TINYML_RT_BAD_PARAM;
  for (int32_t d = 0; d < in_s->rank; ++d) {
    if (p->before[d] < 0 || p->after[d] < 0) return TINYML_RT_BAD_PARAM;
    if (static_cast<int64_t>(p->before[d]) + in_s->dims[d] + p->after[d] != out_s->dims[d]) {
      return TINYML_RT_BAD_SHAPE;
    }
  }
  return TINYML_RT_OK;
}

}  // namespace

extern "C" {

size_t tinyml_rt_pad_s8_scratch_size(const tinyml_rt_pad_params*, const tinyml_rt_shape*,
                                     const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_pad_s8(const tinyml_rt_pad_params* params,
                                  const tinyml_rt_shape* input_shape, const int8_t* input,
                                  const tinyml_rt_shape* output_shape, int8_t* output) {
  const tinyml_rt_status st = check(params, input_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;

  // Work in 4-D: leading dimensions of size 1 with no padding.
  int32_t in_dims[4] = {1, 1, 1, 1}, out_dims[4] = {1, 1, 1, 1}, before[4] = {0, 0, 0, 0};
  const int32_t lead = 4 - input_shape->rank;
  for (int32_t d = 0; d < input_shape->rank; ++d) {
    in_dims[lead + d] = input_shape->dims[d];
    out_dims[lead + d] = output_shape->dims[d];
    before[lead + d] = params->before[d];
  }
  const int8_t pad = static_cast<int8_t>(params->pad_value);
  const int8_t* in = input;
  int32_t o = 0;
  for (int32_t i0 = 0; i0 < out_dims[0]; ++i0) {
    const bool in0 = i0 >= before[0] && i0 < before[0] + in_dims[0];
    for (int32_t i1 = 0; i1 < out_dims[1]; ++i1) {
      const bool in1 = in0 && i1 >= before[1] && i1 < before[1] + in_dims[1];
      for (int32_t i2 = 0; i2 < out_dims[2]; ++i2) {
        const bool in2 = in1 && i2 >= before[2] && i2 < before[2] + in_dims[2];
        for (int32_t i3 = 0; i3 < out_dims[3]; ++i3) {
          const bool inside = in2 && i3 >= before[3] && i3 < before[3] + in_dims[3];
          // Input values are met in input order, so one running pointer reads them.
          output[o++] = inside ? *in++ : pad;
        }
      }
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
