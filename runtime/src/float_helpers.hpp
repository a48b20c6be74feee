// Float helpers shared by the preparation functions and Quantize: finite checks, frexp and
// round-half-away-from-zero written out (no libm, exact on every target).
// Never included by an int8 kernel.
#ifndef TINYML_RT_FLOAT_HELPERS_HPP
#define TINYML_RT_FLOAT_HELPERS_HPP

#include "rt_internal.hpp"

namespace tinyml_rt {

inline bool is_finite(double x) { return x == x && x - x == 0.0; }
inline bool is_positive_finite(float x) { return x > 0.0f && is_finite(static_cast<double>(x)); }

// x = q * 2^e with |q| in [0.5, 1) (std::frexp for finite x != 0). Scaling by 2 is exact,
// subnormals included.
inline double frexp_exact(double x, int32_t* e) {
  int32_t n = 0;
  double q = x < 0.0 ? -x : x;
  while (q >= 1.0) {
    q *= 0.5;
    ++n;
  }
  while (q < 0.5) {
    q *= 2.0;
    --n;
  }
  *e = n;
  return x < 0.0 ? -q : q;
}

// std::round for |v| < 2^62: the fraction a - trunc(a) is exact in binary floating point.
inline int64_t round_half_away(double v) {
  const double a = v < 0.0 ? -v : v;
  int64_t t = static_cast<int64_t>(a);
  if (a - static_cast<double>(t) >= 0.5) ++t;
  return v < 0.0 ? -t : t;
}

// std::round(v) (float) as an int32, saturated at +-2^30 (enough for int8 results that are
// clamped afterwards); NaN gives 0.
inline int32_t round_half_away_f32(float v) {
  if (v != v) return 0;
  constexpr float kLimit = 1073741824.0f;  // 2^30
  if (v >= kLimit) return 1073741824;
  if (v <= -kLimit) return -1073741824;
  const float a = v < 0.0f ? -v : v;
  int32_t t = static_cast<int32_t>(a);
  if (a - static_cast<float>(t) >= 0.5f) ++t;
  return v < 0.0f ? -t : t;
}

// The arguments of Quantize and Dequantize.
inline tinyml_rt_status check_quant(const tinyml_rt_quant_params* p, const void* input,
                                    const void* output, int32_t count) {
  if (p == nullptr || input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if (count < 0) return TINYML_RT_BAD_SHAPE;
  if (!is_positive_finite(p->scale) || !is_int8(p->zero_point)) return TINYML_RT_BAD_PARAM;
  return TINYML_RT_OK;
}

}  // namespace tinyml_rt

#endif  // TINYML_RT_FLOAT_HELPERS_HPP
