// The distance from a raw window to the nearest centroid of a k-means model, in the
// normalized units the model was fitted in: the anomaly score rules can watch (see
// tinyml_rt_rules.h). Float: one rounding per operation, sums in index order, and a
// square root by Newton's method from an exponent-halving first guess (no libm).
#include <string.h>

#include "tinyml_rt_rules.h"

namespace {

bool finite_f32(float x) { return x == x && x - x == 0.0f; }

// sqrt(x) for finite x >= 0: halving the exponent gives a first guess within a factor of
// about 1.5; five Newton steps (y = (y + x / y) / 2) then settle to within a rounding.
float sqrt_f32(float x) {
  if (!(x > 0.0f)) return 0.0f;
  uint32_t bits = 0;
  memcpy(&bits, &x, sizeof bits);
  bits = (bits >> 1) + 0x1fc00000u;
  float y = 0.0f;
  memcpy(&y, &bits, sizeof y);
  for (int i = 0; i < 5; ++i) y = 0.5f * (y + x / y);
  return y;
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_nearest_centroid_f32(const tinyml_rt_centroid_params* params, const float* raw,
                                                float* distance) {
  if (params == nullptr || raw == nullptr || distance == nullptr) return TINYML_RT_NULL_POINTER;
  const tinyml_rt_centroid_params& p = *params;
  if (p.centroids == nullptr || p.offset == nullptr || p.inv_scale == nullptr) return TINYML_RT_NULL_POINTER;
  if (p.count < 1 || p.dim < 1 || p.channels < 1 || p.dim % p.channels != 0) return TINYML_RT_BAD_SHAPE;
  for (int32_t c = 0; c < p.channels; ++c)
    if (!finite_f32(p.offset[c]) || !finite_f32(p.inv_scale[c])) return TINYML_RT_BAD_PARAM;
  float best = 0.0f;
  for (int32_t k = 0; k < p.count; ++k) {
    const float* centroid = p.centroids + k * p.dim;
    float sum = 0.0f;
    int32_t c = 0;
    for (int32_t i = 0; i < p.dim; ++i) {
      const float x = (raw[i] - p.offset[c]) * p.inv_scale[c];
      const float d = x - centroid[i];
      const float d2 = d * d;
      sum += d2;
      if (++c == p.channels) c = 0;
    }
    if (k == 0 || sum < best) best = sum;
  }
  *distance = sqrt_f32(best);
  return TINYML_RT_OK;
}

}  // extern "C"
