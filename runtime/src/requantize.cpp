// The requantization primitives with C linkage (the kernels use the inline versions of
// rt_internal.hpp; these are the same code, exported for callers and tests).
#include "rt_internal.hpp"

extern "C" {

int32_t tinyml_rt_saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  return tinyml_rt::srdhm(a, b);
}

int32_t tinyml_rt_rounding_divide_by_pot(int32_t x, int32_t exponent) {
  if (exponent < 0) exponent = 0;
  if (exponent > 31) exponent = 31;
  return tinyml_rt::rdbpot(x, exponent);
}

int32_t tinyml_rt_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                   int32_t shift) {
  if (shift < -31) shift = -31;
  if (shift > 30) shift = 30;
  return tinyml_rt::mbqm(x, multiplier, shift);
}

}  // extern "C"
