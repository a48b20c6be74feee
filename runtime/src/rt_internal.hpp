// Internal helpers of the runtime's kernels: the requantization primitives (inline, so
// every kernel gets them without a call), argument checks and shape arithmetic.
// C++17, freestanding: <stdint.h> and <stddef.h> only.
#ifndef TINYML_RT_INTERNAL_HPP
#define TINYML_RT_INTERNAL_HPP

#include <stddef.h>
#include <stdint.h>

#include "tinyml_rt.h"

namespace tinyml_rt {

constexpr int32_t kInt8Min = -128;
constexpr int32_t kInt8Max = 127;
constexpr int32_t kInt32Min = INT32_MIN;
constexpr int32_t kInt32Max = INT32_MAX;
// The most products one int32 accumulator may sum: |weight| <= 128 and
// |input - zero_point| <= 255, so 65536 of them stay below 2^31.
constexpr int32_t kMaxAccumulationTerms = 65536;
// The same with a non-zero weight zero point (|weight - zero_point| <= 255).
constexpr int32_t kMaxAccumulationTermsAsymmetric = 33025;

inline int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }
inline int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
inline int32_t clamp32(int32_t v, int32_t lo, int32_t hi) { return min32(max32(v, lo), hi); }

// Two's-complement wrapping arithmetic, spelled without signed overflow (what int32
// arithmetic does on the targets, minus the undefined behaviour).
inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t wrap_shift_left(int32_t x, int32_t shift) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) << shift);
}

// gemmlowp's SaturatingRoundingDoublingHighMul: (a * b + 2^30) / 2^31 with the nudge
// 1 - 2^30 for negative products and truncation toward zero, which rounds a * b / 2^31 to
// nearest with ties toward +infinity; the only overflow, INT32_MIN * INT32_MIN, saturates. The division is written as shifts of the magnitude
// (same result as C's truncating division, without a 64-bit divide on 32-bit targets).
inline int32_t srdhm(int32_t a, int32_t b) {
  if (a == kInt32Min && b == kInt32Min) return kInt32Max;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  const int64_t v = ab + nudge;
  const int64_t q = v >= 0 ? (v >> 31) : -((-v) >> 31);
  return static_cast<int32_t>(q);
}

// gemmlowp's RoundingDivideByPOT: x / 2^exponent, rounded to nearest, ties away from zero.
inline int32_t rdbpot(int32_t x, int32_t exponent) {
  const int32_t mask = static_cast<int32_t>((uint32_t{1} << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite's MultiplyByQuantizedMultiplier (double rounding, TFLITE_SINGLE_ROUNDING off).
inline int32_t mbqm(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(wrap_shift_left(x, left), multiplier), right);
}

// gemmlowp's SaturatingRoundingMultiplyByPOT for a positive exponent: a left shift that
// saturates instead of overflowing.
inline int32_t saturating_shift_left(int32_t x, int32_t exponent) {
  const int32_t threshold = static_cast<int32_t>((uint32_t{1} << (31 - exponent)) - 1u);
  if (x > threshold) return kInt32Max;
  if (x < -threshold) return kInt32Min;
  return wrap_shift_left(x, exponent);
}

// Index of [n][y][x][c] in an NHWC tensor of shape s.
inline int32_t nhwc(const tinyml_rt_shape* s, int32_t n, int32_t y, int32_t x, int32_t c) {
  return ((n * s->dims[1] + y) * s->dims[2] + x) * s->dims[3] + c;
}

// ---- argument checks --------------------------------------------------------------------

inline bool is_int8(int32_t v) { return v >= kInt8Min && v <= kInt8Max; }
inline bool valid_shift(int32_t s) { return s >= -31 && s <= 30; }
inline bool valid_act(int32_t lo, int32_t hi) { return is_int8(lo) && is_int8(hi) && lo <= hi; }

// Element count of a shape; false when the rank or a dimension is out of range or the
// count exceeds INT32_MAX.
inline bool shape_count(const tinyml_rt_shape* s, int32_t* count) {
  if (s->rank < 1 || s->rank > TINYML_RT_MAX_RANK) return false;
  int64_t n = 1;
  for (int32_t d = 0; d < s->rank; ++d) {
    if (s->dims[d] < 1) return false;
    n *= s->dims[d];
    if (n > kInt32Max) return false;
  }
  *count = static_cast<int32_t>(n);
  return true;
}

inline bool is_rank4(const tinyml_rt_shape* s) {
  int32_t n = 0;
  return s->rank == 4 && shape_count(s, &n);
}

inline bool same_shape(const tinyml_rt_shape* a, const tinyml_rt_shape* b) {
  if (a->rank != b->rank) return false;
  for (int32_t d = 0; d < a->rank; ++d) {
    if (a->dims[d] != b->dims[d]) return false;
  }
  return true;
}

inline bool valid_window(const tinyml_rt_window& w) {
  return w.stride_h >= 1 && w.stride_w >= 1 && w.pad_top >= 0 && w.pad_left >= 0;
}

// Scratch of at least `needed` bytes, 4-byte aligned (for int32 use).
inline bool scratch_fits(const void* scratch, size_t bytes, size_t needed) {
  if (needed == 0) return true;
  return scratch != nullptr && bytes >= needed &&
         (reinterpret_cast<uintptr_t>(scratch) & 3u) == 0;
}

// A requantization block with `count` channels.
inline tinyml_rt_status check_requant(const tinyml_rt_requant& q, int32_t count) {
  if (q.multiplier == nullptr || q.shift == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_int8(q.output_zero_point) || !valid_act(q.act_min, q.act_max)) {
    return TINYML_RT_BAD_PARAM;
  }
  for (int32_t c = 0; c < count; ++c) {
    if (!valid_shift(q.shift[c])) return TINYML_RT_BAD_PARAM;
  }
  return TINYML_RT_OK;
}

// The checks shared by Conv2D and DepthwiseConv2D (P is either's parameter struct).
// First the pointers and ranks of the three NHWC shapes...
template <typename P>
tinyml_rt_status check_conv_shapes(const P* p, const tinyml_rt_shape* in_s,
                                   const tinyml_rt_shape* f_s, const tinyml_rt_shape* out_s) {
  if (p == nullptr || in_s == nullptr || f_s == nullptr || out_s == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  if (!is_rank4(in_s) || !is_rank4(f_s) || !is_rank4(out_s) || in_s->dims[0] != out_s->dims[0]) {
    return TINYML_RT_BAD_SHAPE;
  }
  return TINYML_RT_OK;
}
// ...then, once the channels fit, the parameters: `terms` products per output value.
template <typename P>
tinyml_rt_status check_conv_params(const P& p, int64_t terms, int32_t out_ch) {
  if (terms > kMaxAccumulationTerms) return TINYML_RT_UNSUPPORTED;
  if (!valid_window(p.window) || p.dilation_h < 1 || p.dilation_w < 1 ||
      !is_int8(p.input_zero_point)) {
    return TINYML_RT_BAD_PARAM;
  }
  return check_requant(p.out, out_ch);
}

// The window of pooling output position o along one axis: input positions
// [start + first, start + last) with start = o * stride - pad, clipped to [0, in).
struct Extent {
  int32_t start, first, last;
};
inline Extent pool_extent(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t in) {
  const int32_t start = o * stride - pad;
  return Extent{start, max32(0, -start), min32(filter, in - start)};
}

// Pooling: input [n][h][w][c], output [n][oh][ow][c], and every window holds at least one
// input pixel (windows start further along as the output index grows, so the first and the
// last of each axis decide).
inline tinyml_rt_status check_pool(const tinyml_rt_pool2d_params* p, const tinyml_rt_shape* in_s,
                                   const tinyml_rt_shape* out_s) {
  if (p == nullptr || in_s == nullptr || out_s == nullptr) return TINYML_RT_NULL_POINTER;
  if (!is_rank4(in_s) || !is_rank4(out_s) || in_s->dims[0] != out_s->dims[0] ||
      in_s->dims[3] != out_s->dims[3]) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (!valid_window(p->window) || p->filter_h < 1 || p->filter_w < 1 ||
      !valid_act(p->act_min, p->act_max)) {
    return TINYML_RT_BAD_PARAM;
  }
  const Extent y0 = pool_extent(0, p->window.stride_h, p->window.pad_top, p->filter_h,
                                in_s->dims[1]);
  const Extent y1 = pool_extent(out_s->dims[1] - 1, p->window.stride_h, p->window.pad_top,
                                p->filter_h, in_s->dims[1]);
  const Extent x0 = pool_extent(0, p->window.stride_w, p->window.pad_left, p->filter_w,
                                in_s->dims[2]);
  const Extent x1 = pool_extent(out_s->dims[2] - 1, p->window.stride_w, p->window.pad_left,
                                p->filter_w, in_s->dims[2]);
  if (y0.first >= y0.last || y1.first >= y1.last || x0.first >= x0.last ||
      x1.first >= x1.last) {
    return TINYML_RT_BAD_PARAM;
  }
  return TINYML_RT_OK;
}

// The loops shared by the pooling kernels: for every output value, acc starts at init,
// takes step(acc, v) for each input value v of the window, and the output is
// clamp(finish(acc, count), act_min, act_max), count being the window's pixel count.
template <typename Step, typename Finish>
void pool2d(const tinyml_rt_pool2d_params& p, const tinyml_rt_shape* in_s, const int8_t* input,
            const tinyml_rt_shape* out_s, int8_t* output, int32_t init, Step step,
            Finish finish) {
  const int32_t channels = in_s->dims[3];
  for (int32_t n = 0; n < out_s->dims[0]; ++n) {
    for (int32_t oy = 0; oy < out_s->dims[1]; ++oy) {
      const Extent ey =
          pool_extent(oy, p.window.stride_h, p.window.pad_top, p.filter_h, in_s->dims[1]);
      for (int32_t ox = 0; ox < out_s->dims[2]; ++ox) {
        const Extent ex =
            pool_extent(ox, p.window.stride_w, p.window.pad_left, p.filter_w, in_s->dims[2]);
        const int32_t count = (ey.last - ey.first) * (ex.last - ex.first);
        int8_t* out = output + nhwc(out_s, n, oy, ox, 0);
        for (int32_t c = 0; c < channels; ++c) {
          int32_t acc = init;
          for (int32_t fy = ey.first; fy < ey.last; ++fy) {
            for (int32_t fx = ex.first; fx < ex.last; ++fx) {
              acc = step(acc, input[nhwc(in_s, n, ey.start + fy, ex.start + fx, c)]);
            }
          }
          out[c] = static_cast<int8_t>(clamp32(finish(acc, count), p.act_min, p.act_max));
        }
      }
    }
  }
}

// acc (the sum of products plus bias) to int8 through channel c of q.
inline int8_t requantize(int32_t acc, const tinyml_rt_requant& q, int32_t c) {
  // The zero point is added modulo 2^32, as int32 hardware does (a multiplier far above 1
  // can take the product to INT32_MAX).
  const int32_t v = wrap_add(mbqm(acc, q.multiplier[c], q.shift[c]), q.output_zero_point);
  return static_cast<int8_t>(clamp32(v, q.act_min, q.act_max));
}

// The checks both fully connected kernels make (dense and sparse weights alike): shapes,
// accumulation bounds, zero points and the requantization; `batches` is set on success.
inline tinyml_rt_status check_fully_connected(const tinyml_rt_fully_connected_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* f_s, const tinyml_rt_shape* out_s,
                       int32_t* batches) {
  if (p == nullptr || in_s == nullptr || f_s == nullptr || out_s == nullptr) {
    return TINYML_RT_NULL_POINTER;
  }
  int32_t in_count = 0, f_count = 0, out_count = 0;
  if (!shape_count(in_s, &in_count) || !shape_count(f_s, &f_count) ||
      !shape_count(out_s, &out_count) || f_s->rank != 2) {
    return TINYML_RT_BAD_SHAPE;
  }
  const int32_t outs = f_s->dims[0], depth = f_s->dims[1];
  if (in_count % depth != 0 || out_s->dims[out_s->rank - 1] != outs ||
      static_cast<int64_t>(in_count / depth) * outs != out_count) {
    return TINYML_RT_BAD_SHAPE;
  }
  if (depth > (p->filter_zero_point == 0 ? kMaxAccumulationTerms
                                          : kMaxAccumulationTermsAsymmetric)) {
    return TINYML_RT_UNSUPPORTED;
  }
  if (!is_int8(p->input_zero_point) || !is_int8(p->filter_zero_point) ||
      (p->per_channel != 0 && p->per_channel != 1)) {
    return TINYML_RT_BAD_PARAM;
  }
  *batches = in_count / depth;
  return check_requant(p->out, p->per_channel != 0 ? outs : 1);
}

// The bitmask-sparse rows of a fully connected layer (tinyml_rt_fully_connected_sparse_s8)
// walked once: every row's values must lie inside the `bytes` given, mask bits past the
// last column must be clear, and the rows must end exactly at `bytes`.
inline bool sparse_rows_fit(const uint8_t* filter, size_t bytes, int32_t outs, int32_t depth) {
  const size_t mask = static_cast<size_t>(depth + 7) / 8;
  size_t at = 0;
  for (int32_t o = 0; o < outs; ++o) {
    if (bytes - at < mask) return false;
    size_t nonzero = 0;
    for (size_t k = 0; k < mask; ++k) {
      uint32_t m = filter[at + k];
      if (k == mask - 1 && depth % 8 != 0 && (m >> (depth % 8)) != 0) return false;
      for (; m != 0; m &= m - 1) ++nonzero;
    }
    at += mask;
    if (bytes - at < nonzero) return false;
    at += nonzero;
  }
  return at == bytes;
}

}  // namespace tinyml_rt

#endif  // TINYML_RT_INTERNAL_HPP
