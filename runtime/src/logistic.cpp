// Logistic, int8 in, int8 out (scale 1/256, zero point -128): TFLite Micro's reference
// integer Logistic. The input difference is rescaled to Q4.27, gemmlowp's fixed-point
// logistic gives a Q0.31 result, and RoundingDivideByPOT(result, 23) - 128 is the output.
#include "fixedpoint.hpp"

extern "C" {

size_t tinyml_rt_logistic_s8_scratch_size(const tinyml_rt_logistic_params*,
                                          const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_logistic_s8(const tinyml_rt_logistic_params* params,
                                       const tinyml_rt_shape* input_shape,
                                       const int8_t* input,
                                       const tinyml_rt_shape* output_shape, int8_t* output) {
  return tinyml_rt::q4_activation(
      params, input_shape, input, output_shape, output,
      [](int32_t x) { return tinyml_rt::fp::logistic<4>(x); }, 31 - 8, tinyml_rt::kInt8Min);
}

}  // extern "C"
