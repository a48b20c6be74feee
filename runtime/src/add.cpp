// Add, int8: TFLite's reference integer Add (AddElementwise / BroadcastAdd4DSlow).
//   a = (q1 - zp1) * 2^left_shift, b = (q2 - zp2) * 2^left_shift;
//   a' = RoundingDivideByPOT(SRDHM(a, m1), -s1), b' likewise (MultiplyByQuantized-
//   MultiplierSmallerThanOneExp); out = clamp(RoundingDivideByPOT(SRDHM(a' + b', mo), -so)
//   + zp_out, act_min, act_max).
// Broadcasting: equal ranks; an input dimension of 1 is repeated along the output's.
#include "rt_internal.hpp"

namespace {

// Strides of an input read as the output's 4-D index space (0 along broadcast dimensions).
struct Strides {
  int32_t s[4];
};

bool broadcast_strides(const tinyml_rt_shape* in_s, const tinyml_rt_shape* out_s,
                       Strides* st) {
  const int32_t lead = 4 - out_s->rank;
  int32_t stride = 1;
  for (int32_t d = 3; d >= 0; --d) {
    st->s[d] = 0;
    if (d < lead) continue;
    const int32_t in_dim = in_s->dims[d - lead], out_dim = out_s->dims[d - lead];
    if (in_dim == out_dim) {
      st->s[d] = in_dim == 1 ? 0 : stride;
    } else if (in_dim != 1) {
      return false;
    }
    stride *= in_dim;
  }
  return true;
}

tinyml_rt_status check(const tinyml_rt_add_params* p, const tinyml_rt_shape* a_s,
                       const tinyml_rt_shape* b_s, const tinyml_rt_shape* out_s, Strides* sa,
                       Strides* sb) {
  if (p == nullptr || a_s == nullptr || b_s == nullptr || out_s == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t n = 0;
  if (!tinyml_rt::shape_count(a_s, &n) || !tinyml_rt::shape_count(b_s, &n) ||
      !tinyml_rt::shape_count(out_s, &n) || a_s->rank != out_s->rank ||
      b_s->rank != out_s->rank || !broadcast_strides(a_s, out_s, sa) ||
      !broadcast_strides(b_s, out_s, sb)) {
    return TINYML_RT_BAD_SHAPE;
  }
  const bool shifts_ok = p->input1_shift <= 0 && p->input1_shift >= -31 &&
                         p->input2_shift <= 0 && p->input2_shift >= -31 &&
                         p->output_shift <= 0 && p->output_shift >= -31;
  if (!tinyml_rt::is_int8(p->input1_zero_point) || !tinyml_rt::is_int8(p->input2_zero_point) ||
      !tinyml_rt::is_int8(p->output_zero_point) || p->left_shift < 0 || p->left_shift > 22 ||
      !shifts_ok || !tinyml_rt::valid_act(p->act_min, p->act_max)) {
    return TINYML_RT_BAD_PARAM;
  }
  return TINYML_RT_OK;
}

int8_t add_one(const tinyml_rt_add_params& p, int32_t q1, int32_t q2) {
  const int32_t a = (q1 - p.input1_zero_point) * (int32_t{1} << p.left_shift);
  const int32_t b = (q2 - p.input2_zero_point) * (int32_t{1} << p.left_shift);
  const int32_t a_scaled =
      tinyml_rt::rdbpot(tinyml_rt::srdhm(a, p.input1_multiplier), -p.input1_shift);
  const int32_t b_scaled =
      tinyml_rt::rdbpot(tinyml_rt::srdhm(b, p.input2_multiplier), -p.input2_shift);
  const int32_t sum = a_scaled + b_scaled;
  const int32_t out =
      tinyml_rt::rdbpot(tinyml_rt::srdhm(sum, p.output_multiplier), -p.output_shift) +
      p.output_zero_point;
  return static_cast<int8_t>(tinyml_rt::clamp32(out, p.act_min, p.act_max));
}

}  // namespace

extern "C" {

size_t tinyml_rt_add_s8_scratch_size(const tinyml_rt_add_params*, const tinyml_rt_shape*,
                                     const tinyml_rt_shape*, const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_add_s8(const tinyml_rt_add_params* params,
                                  const tinyml_rt_shape* input1_shape, const int8_t* input1,
                                  const tinyml_rt_shape* input2_shape, const int8_t* input2,
                                  const tinyml_rt_shape* output_shape, int8_t* output) {
  Strides sa{}, sb{};
  const tinyml_rt_status st =
      check(params, input1_shape, input2_shape, output_shape, &sa, &sb);
  if (st != TINYML_RT_OK) return st;
  if (input1 == nullptr || input2 == nullptr || output == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t dims[4] = {1, 1, 1, 1};
  const int32_t lead = 4 - output_shape->rank;
  for (int32_t d = 0; d < output_shape->rank; ++d) dims[lead + d] = output_shape->dims[d];

  int32_t o = 0;
  for (int32_t i0 = 0; i0 < dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < dims[2]; ++i2) {
        const int32_t a_row = i0 * sa.s[0] + i1 * sa.s[1] + i2 * sa.s[2];
        const int32_t b_row = i0 * sb.s[0] + i1 * sb.s[1] + i2 * sb.s[2];
        for (int32_t i3 = 0; i3 < dims[3]; ++i3) {
          output[o++] = add_one(*params, input1[a_row + i3 * sa.s[3]],
                                input2[b_row + i3 * sb.s[3]]);
        }
      }
    }
  }
  return TINYML_RT_OK;
}

}  // extern "C"
