// Concatenation, int8, along one axis. Copies when the inputs share the output's
// quantization (TFLite Micro's rule for int8); with requantize == 1 each input is brought
// to the output's scale and zero point by the integer requantization
//   clamp(MultiplyByQuantizedMultiplier(q - zp_in, m, s) + zp_out, -128, 127)
// (TFLite's own requantizing concatenation is float and uint8-only; this integer form is
// documented in runtime/README.md and not claimed bit-exact with anything).
#include "rt_internal.hpp"

namespace {

tinyml_rt_status check(const tinyml_rt_concat_params* p, const tinyml_rt_concat_input* inputs,
                       int32_t num_inputs, const tinyml_rt_shape* out_s) {
  if (p == nullptr || inputs == nullptr || out_s == nullptr) return TINYML_RT_NULL_POINTER;
  int32_t n = 0;
  if (num_inputs < 1 || !tinyml_rt::shape_count(out_s, &n)) return TINYML_RT_BAD_SHAPE;
  if (p->axis < 0 || p->axis >= out_s->rank || (p->requantize != 0 && p->requantize != 1) ||
      !tinyml_rt::is_int8(p->output_zero_point)) {
    return TINYML_RT_BAD_PARAM;
  }
  int64_t axis_total = 0;
  for (int32_t i = 0; i < num_inputs; ++i) {
    const tinyml_rt_concat_input& in = inputs[i];
    if (in.data == nullptr) return TINYML_RT_NULL_POINTER;
    if (!tinyml_rt::shape_count(&in.shape, &n) || in.shape.rank != out_s->rank) {
      return TINYML_RT_BAD_SHAPE;
    }
    for (int32_t d = 0; d < out_s->rank; ++d) {
      if (d != p->axis && in.shape.dims[d] != out_s->dims[d]) return TINYML_RT_BAD_SHAPE;
    }
    axis_total += in.shape.dims[p->axis];
    if (p->requantize != 0 &&
        (!tinyml_rt::is_int8(in.zero_point) || !tinyml_rt::valid_shift(in.shift))) {
      return TINYML_RT_BAD_PARAM;
    }
  }
  return axis_total == out_s->dims[p->axis] ? TINYML_RT_OK : TINYML_RT_BAD_SHAPE;
}

}  // namespace

extern "C" {

size_t tinyml_rt_concatenation_s8_scratch_size(const tinyml_rt_concat_params*,
                                               const tinyml_rt_concat_input*, int32_t,
                                               const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_concatenation_s8(const tinyml_rt_concat_params* params,
                                            const tinyml_rt_concat_input* inputs,
                                            int32_t num_inputs,
                                            const tinyml_rt_shape* output_shape,
                                            int8_t* output) {
  const tinyml_rt_status st = check(params, inputs, num_inputs, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (output == nullptr) return TINYML_RT_NULL_POINTER;

  const int32_t axis = params->axis;
  int32_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; ++d) outer *= output_shape->dims[d];
  for (int32_t d = axis + 1; d < output_shape->rank; ++d) inner *= output_shape->dims[d];

  int8_t* out = output;
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < num_inputs; ++i) {
      const tinyml_rt_concat_input& in = inputs[i];
      const int32_t chunk = in.shape.dims[axis] * inner;
      const int8_t* src = in.data + o * chunk;
      if (params->requantize == 0) {
        for (int32_t j = 0; j < chunk; ++j) out[j] = src[j];
      } else {
        for (int32_t j = 0; j < chunk; ++j) {
          const int32_t v = tinyml_rt::mbqm(src[j] - in.zero_point, in.multiplier, in.shift) +
                            params->output_zero_point;
          out[j] = static_cast<int8_t>(
              tinyml_rt::clamp32(v, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max));
        }
      }
      out += chunk;
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
