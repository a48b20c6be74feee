// The building blocks of the runtime's fast paths: the Arm DSP extension's dual 16-bit
// multiply-accumulate and byte-lane instructions, and a requantization written with them.
//
// On a core with the DSP extension (Cortex-M4, M7, M33, M55: the compiler predefines
// __ARM_FEATURE_DSP) each helper is one instruction (ACLE intrinsics, inline assembly for
// the rotated forms GCC's <arm_acle.h> lacks). Everywhere else each helper is plain C++
// with the instruction's exact result, so the fast kernels compile and run on the host
// too (the tests run them under AddressSanitizer and compare them with the portable
// kernels byte for byte).
//
// TINYML_RT_FAST_PATHS is 1 where the public kernels run the fast paths (the DSP cores),
// 0 where they run the portable reference loops. Define TINYML_RT_PORTABLE to keep the
// portable loops on every core.
#ifndef TINYML_RT_DSP_HPP
#define TINYML_RT_DSP_HPP

#include <stddef.h>
#include <stdint.h>

#include "rt_internal.hpp"

#if defined(__ARM_FEATURE_DSP) && !defined(TINYML_RT_NO_DSP_INSTRUCTIONS)
#define TINYML_RT_DSP_NATIVE 1
#include <arm_acle.h>
#else
#define TINYML_RT_DSP_NATIVE 0
#endif

#if defined(TINYML_RT_PORTABLE)
#define TINYML_RT_FAST_PATHS 0
#else
#define TINYML_RT_FAST_PATHS TINYML_RT_DSP_NATIVE
#endif

// Inlined even at -Os: the requantization runs once per output value.
#define TINYML_RT_INLINE inline __attribute__((always_inline))

namespace tinyml_rt {
namespace dsp {

// Four bytes from any address (one LDR on the Cortex-M cores, which load unaligned words).
inline uint32_t load4(const void* p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4);
  return v;
}
inline void store4(void* p, uint32_t v) { __builtin_memcpy(p, &v, 4); }

// Two int16 lanes in a word: lane 0 in bits 0..15, lane 1 in bits 16..31.
inline uint32_t pack16(int32_t lo, int32_t hi) {
  return (static_cast<uint32_t>(lo) & 0xffffu) | (static_cast<uint32_t>(hi) << 16);
}
inline int32_t lane(uint32_t v, int32_t i) {
  return static_cast<int16_t>(static_cast<uint16_t>(v >> (16 * i)));
}
inline int32_t byte(uint32_t v, int32_t i) {
  return static_cast<int8_t>(static_cast<uint8_t>(v >> (8 * i)));
}

#if TINYML_RT_DSP_NATIVE

// Bytes 0 and 2 sign-extended to the two int16 lanes.
inline uint32_t sxtb16(uint32_t x) { return static_cast<uint32_t>(__sxtb16(static_cast<int32_t>(x))); }
// Bytes 1 and 3.
inline uint32_t sxtb16_ror8(uint32_t x) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// a's lanes plus bytes 0 and 2 of x (each lane modulo 2^16).
inline uint32_t sxtab16(uint32_t a, uint32_t x) {
  return static_cast<uint32_t>(__sxtab16(static_cast<int32_t>(a), static_cast<int32_t>(x)));
}
// a's lanes plus bytes 1 and 3 of x.
inline uint32_t sxtab16_ror8(uint32_t a, uint32_t x) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
// acc + lane0(x) * lane0(y) + lane1(x) * lane1(y), modulo 2^32.
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) {
  return __smlad(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
}
// acc + lane0(x) * lane0(y) (SMLABB) and acc + lane1(x) * lane1(y) (SMLATT), modulo 2^32.
inline int32_t smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return __smlabb(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
}
inline int32_t smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return __smlatt(static_cast<int32_t>(x), static_cast<int32_t>(y), acc);
}
// a + b saturated to int32.
inline int32_t qadd(int32_t a, int32_t b) { return __qadd(a, b); }
// The signed maximum and minimum of each byte lane (SSUB8 sets a flag per lane where
// a >= b, SEL picks by the flags).
inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}
inline uint32_t min_s8x4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}

#else  // the instructions' results in plain C++

inline uint32_t sxtb16(uint32_t x) { return pack16(byte(x, 0), byte(x, 2)); }
inline uint32_t sxtb16_ror8(uint32_t x) { return pack16(byte(x, 1), byte(x, 3)); }
inline uint32_t sxtab16(uint32_t a, uint32_t x) {
  return pack16(lane(a, 0) + byte(x, 0), lane(a, 1) + byte(x, 2));
}
inline uint32_t sxtab16_ror8(uint32_t a, uint32_t x) {
  return pack16(lane(a, 0) + byte(x, 1), lane(a, 1) + byte(x, 3));
}
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) {
  return wrap_add(wrap_add(acc, lane(x, 0) * lane(y, 0)), lane(x, 1) * lane(y, 1));
}
inline int32_t smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return wrap_add(acc, lane(x, 0) * lane(y, 0));
}
inline int32_t smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return wrap_add(acc, lane(x, 1) * lane(y, 1));
}
inline int32_t qadd(int32_t a, int32_t b) {
  const int64_t s = static_cast<int64_t>(a) + b;
  return s > kInt32Max ? kInt32Max : s < kInt32Min ? kInt32Min : static_cast<int32_t>(s);
}
inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r = 0;
  for (int32_t i = 0; i < 4; ++i) {
    r |= (static_cast<uint32_t>(max32(byte(a, i), byte(b, i))) & 0xffu) << (8 * i);
  }
  return r;
}
inline uint32_t min_s8x4(uint32_t a, uint32_t b) {
  uint32_t r = 0;
  for (int32_t i = 0; i < 4; ++i) {
    r |= (static_cast<uint32_t>(min32(byte(a, i), byte(b, i))) & 0xffu) << (8 * i);
  }
  return r;
}

#endif

// Both int16 lanes set to v (the zero-point offsets SXTAB16 adds).
inline uint32_t splat16(int32_t v) { return pack16(v, v); }

// ---- Inner loops ---------------------------------------------------------------------------
//
// Two filter rows against two columns: `groups` (>= 1) steps of 4 filter bytes from each
// of wa and wb against 4 words of `cols` (column 0: (v0, v2), (v1, v3); column 1 the
// same), adding a x column 0 to a0, a x column 1 to a1, b x column 0 to b0 and b x
// column 1 to b1. The pointers are left after what was read.
#if TINYML_RT_DSP_NATIVE
// 18 instructions per 16 products; every operand in a register (14 of them).
TINYML_RT_INLINE void dot_2x2(const int8_t*& wa, const int8_t*& wb, const uint32_t*& cols, int32_t groups,
                    int32_t& a0, int32_t& a1, int32_t& b0, int32_t& b1) {
  uint32_t t0, t1, x0, x1, x2, x3;
  __asm__(
      "1:\n\t"
      "ldr %[t0], [%[wa]], #4\n\t"
      "ldrd %[x0], %[x1], [%[c]], #16\n\t"
      "ldrd %[x2], %[x3], [%[c], #-8]\n\t"
      "sxtb16 %[t1], %[t0], ror #8\n\t"
      "sxtb16 %[t0], %[t0]\n\t"
      "smlad %[a0], %[t0], %[x0], %[a0]\n\t"
      "smlad %[a0], %[t1], %[x1], %[a0]\n\t"
      "smlad %[a1], %[t0], %[x2], %[a1]\n\t"
      "smlad %[a1], %[t1], %[x3], %[a1]\n\t"
      "ldr %[t0], [%[wb]], #4\n\t"
      "sxtb16 %[t1], %[t0], ror #8\n\t"
      "sxtb16 %[t0], %[t0]\n\t"
      "smlad %[b0], %[t0], %[x0], %[b0]\n\t"
      "smlad %[b0], %[t1], %[x1], %[b0]\n\t"
      "smlad %[b1], %[t0], %[x2], %[b1]\n\t"
      "smlad %[b1], %[t1], %[x3], %[b1]\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [wa] "+r"(wa), [wb] "+r"(wb), [c] "+r"(cols), [n] "+r"(groups), [a0] "+r"(a0),
        [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [t0] "=&r"(t0), [t1] "=&r"(t1),
        [x0] "=&r"(x0), [x1] "=&r"(x1), [x2] "=&r"(x2), [x3] "=&r"(x3)
      :
      : "cc", "memory");
}
#else
TINYML_RT_INLINE void dot_2x2(const int8_t*& wa, const int8_t*& wb, const uint32_t*& cols, int32_t groups,
                    int32_t& a0, int32_t& a1, int32_t& b0, int32_t& b1) {
  for (; groups > 0; --groups, cols += 4) {
    const uint32_t x0 = cols[0], x1 = cols[1], x2 = cols[2], x3 = cols[3];
    const uint32_t va = load4(wa), vb = load4(wb);
    wa += 4;
    wb += 4;
    const uint32_t ae = sxtb16(va), ao = sxtb16_ror8(va);
    a0 = smlad(ao, x1, smlad(ae, x0, a0));
    a1 = smlad(ao, x3, smlad(ae, x2, a1));
    const uint32_t be = sxtb16(vb), bo = sxtb16_ror8(vb);
    b0 = smlad(bo, x1, smlad(be, x0, b0));
    b1 = smlad(bo, x3, smlad(be, x2, b1));
  }
}
#endif

// `words` (>= 1) words of 4 int8 values from src, each unpacked to two words of int16
// lanes plus `offset` ((v0, v2), (v1, v3)) at dst, 16 bytes apart (a column of the
// interleaved two-pixel layout). dst is left after what was written.
#if TINYML_RT_DSP_NATIVE
TINYML_RT_INLINE void unpack_words(uint32_t*& dst, const int8_t* src, int32_t words, uint32_t offset) {
  uint32_t e, o;
  __asm__ volatile(
      "1:\n\t"
      "ldr %[o], [%[s]], #4\n\t"
      "sxtab16 %[e], %[off], %[o]\n\t"
      "sxtab16 %[o], %[off], %[o], ror #8\n\t"
      "strd %[e], %[o], [%[d]], #16\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [d] "+r"(dst), [s] "+r"(src), [n] "+r"(words), [e] "=&r"(e), [o] "=&r"(o)
      : [off] "r"(offset)
      : "cc", "memory");
}
#else
TINYML_RT_INLINE void unpack_words(uint32_t*& dst, const int8_t* src, int32_t words, uint32_t offset) {
  for (; words > 0; --words, src += 4, dst += 4) {
    const uint32_t v = load4(src);
    dst[0] = sxtab16(offset, v);
    dst[1] = sxtab16_ror8(offset, v);
  }
}
#endif

// `rows` runs of `words` (>= 1) words each, `step` bytes apart from src, unpacked as
// unpack_words does, one run after the other into the column at dst.
#if TINYML_RT_DSP_NATIVE
// 6 instructions a word and 5 a run.
__attribute__((naked)) inline void unpack_window(uint32_t* /*dst*/, const int8_t* /*src*/, int32_t /*rows*/,
                                                 int32_t /*words*/, int32_t /*step*/, uint32_t /*offset*/) {
  __asm__ volatile(
      "push {r4-r8, lr}\n\t"
      "ldrd r4, r5, [sp, #24]\n"  // step, offset
      "1:\n\t"
      "mov r6, r1\n\t"
      "mov r7, r3\n"
      "2:\n\t"
      "ldr r8, [r6], #4\n\t"
      "sxtab16 lr, r5, r8\n\t"
      "sxtab16 r8, r5, r8, ror #8\n\t"
      "strd lr, r8, [r0], #16\n\t"
      "subs r7, r7, #1\n\t"
      "bne 2b\n\t"
      "add r1, r1, r4\n\t"
      "subs r2, r2, #1\n\t"
      "bne 1b\n\t"
      "pop {r4-r8, pc}\n\t");
}
#else
inline void unpack_window(uint32_t* dst, const int8_t* src, int32_t rows, int32_t words, int32_t step,
                          uint32_t offset) {
  for (; rows > 0; --rows, src += step) unpack_words(dst, src, words, offset);
}
#endif

// One input row against two filter rows (fully connected): `groups` (>= 1) steps of 4
// int8 values from x and from each of wa and wb, each plus its zero-point offset (both
// int16 lanes of x_offset / w_offset), adding x . wa to a and x . wb to b. Every offset
// value lies in [-255, 255], so each lane holds it exactly.
#if TINYML_RT_DSP_NATIVE
// 15 instructions per 8 products.
TINYML_RT_INLINE void dot_1x2(const int8_t*& x, const int8_t*& wa, const int8_t*& wb, int32_t groups,
                    uint32_t x_offset, uint32_t w_offset, int32_t& a, int32_t& b) {
  uint32_t xe, xo, t0, t1;
  __asm__(
      "1:\n\t"
      "ldr %[xe], [%[x]], #4\n\t"
      "sxtab16 %[xo], %[xoff], %[xe], ror #8\n\t"
      "sxtab16 %[xe], %[xoff], %[xe]\n\t"
      "ldr %[t0], [%[wa]], #4\n\t"
      "sxtab16 %[t1], %[woff], %[t0], ror #8\n\t"
      "sxtab16 %[t0], %[woff], %[t0]\n\t"
      "smlad %[a], %[t0], %[xe], %[a]\n\t"
      "smlad %[a], %[t1], %[xo], %[a]\n\t"
      "ldr %[t0], [%[wb]], #4\n\t"
      "sxtab16 %[t1], %[woff], %[t0], ror #8\n\t"
      "sxtab16 %[t0], %[woff], %[t0]\n\t"
      "smlad %[b], %[t0], %[xe], %[b]\n\t"
      "smlad %[b], %[t1], %[xo], %[b]\n\t"
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n\t"
      : [x] "+r"(x), [wa] "+r"(wa), [wb] "+r"(wb), [n] "+r"(groups), [a] "+r"(a), [b] "+r"(b),
        [xe] "=&r"(xe), [xo] "=&r"(xo), [t0] "=&r"(t0), [t1] "=&r"(t1)
      : [xoff] "r"(x_offset), [woff] "r"(w_offset)
      : "cc", "memory");
}
#else
TINYML_RT_INLINE void dot_1x2(const int8_t*& x, const int8_t*& wa, const int8_t*& wb, int32_t groups,
                    uint32_t x_offset, uint32_t w_offset, int32_t& a, int32_t& b) {
  for (; groups > 0; --groups) {
    const uint32_t vx = load4(x), va = load4(wa), vb = load4(wb);
    x += 4;
    wa += 4;
    wb += 4;
    const uint32_t xe = sxtab16(x_offset, vx), xo = sxtab16_ror8(x_offset, vx);
    a = smlad(sxtab16_ror8(w_offset, va), xo, smlad(sxtab16(w_offset, va), xe, a));
    b = smlad(sxtab16_ror8(w_offset, vb), xo, smlad(sxtab16(w_offset, vb), xe, b));
  }
}
#endif

// ---- Requantization ----------------------------------------------------------------------
//
// The same function as tinyml_rt::requantize (MultiplyByQuantizedMultiplier, zero point,
// clamp) in fewer instructions. The tests compare the two on the extremes and on millions
// of random accumulators, and tests/deploy on the devices through the kernels.
//
// MultiplyByQuantizedMultiplier(a, M, shift) with shift = -e, e >= 1 and M > 0 (every
// channel of a layer whose real multiplier is below 1/2) is
//   y = SaturatingRoundingDoublingHighMul(a, M) = floor((a * M + 2^30) / 2^31)
//       (round to nearest, ties toward +infinity, for either sign; no saturation: M > 0),
//   RoundingDivideByPOT(y, e) = floor((y + 2^(e-1) - [y < 0]) / 2^e)   (ties away from 0).
// floor(floor(x) / 2^e) = floor(x / 2^e), so both are one floor division of a 64-bit sum,
// and adding the output zero point z is adding z * 2^(31+e) before it:
//   floor((a * M + 2^30 + 2^(30+e) + z * 2^(31+e) - [y < 0] * 2^31) / 2^(31+e)).
// With M > 0, y < 0 only when a < 0, and a < 0 with y = 0 gives 0 with either nudge
// (2^(e-1) - 1 and 2^(e-1) both floor to 0 over 2^e), so [a < 0] can stand for [y < 0].
// |a * M| < 2^62, 2^30 + 2^(30+e) <= 2^61 + 2^30 and, for e <= 23, |z| * 2^(31+e) <= 2^61,
// so the sum fits in int64; and |y / 2^e| <= 2^30, so the zero point's addition cannot
// wrap (the reference adds it modulo 2^32). Shifting right by 31 + e >= 32 is the high word
// shifted right by e - 1. On a DSP core: ASR, ADDS, ADC, SMLAL, ASR. Channels outside the
// form (shift >= 0 or < -23, or M <= 0) take the reference mbqm() unchanged.
struct ChannelRequant {
  int32_t multiplier;
  int32_t shift;      // e - 1 in [0, 22]; -1: the reference form
  uint32_t nudge_lo;  // 2^30 + 2^(30+e) + zero_point * 2^(31+e), low and high words
  int32_t nudge_hi;
  int32_t bias;       // the kernel's bias of the channel (0 without one); not used here
};

inline ChannelRequant channel_requant(const tinyml_rt_requant& q, int32_t c) {
  ChannelRequant r{q.multiplier[c], -1, 0u, 0, 0};
  const int32_t e = -q.shift[c];
  if (e >= 1 && e <= 23 && r.multiplier > 0) {
    const int64_t nudge = (int64_t{1} << 30) + (int64_t{1} << (30 + e)) +
                          static_cast<int64_t>(q.output_zero_point) * (int64_t{1} << (31 + e));
    r.shift = e - 1;
    r.nudge_lo = static_cast<uint32_t>(static_cast<uint64_t>(nudge));
    r.nudge_hi = static_cast<int32_t>(nudge >> 32);
  }
  return r;
}

// The one-multiply form: MultiplyByQuantizedMultiplier(a, M, -e) + zero point.
#if TINYML_RT_DSP_NATIVE
TINYML_RT_INLINE int32_t one_multiply(int32_t a, const ChannelRequant& r) {
  uint32_t t, lo;
  int32_t hi;
  __asm__(
      "asr %[t], %[a], #31\n\t"
      "adds %[lo], %[nlo], %[t], lsl #31\n\t"
      "adc %[hi], %[nhi], %[t]\n\t"
      "smlal %[lo], %[hi], %[a], %[m]\n\t"
      "asr %[hi], %[hi], %[s]"
      : [t] "=&r"(t), [lo] "=&r"(lo), [hi] "=&r"(hi)
      : [a] "r"(a), [nlo] "r"(r.nudge_lo), [nhi] "r"(r.nudge_hi), [m] "r"(r.multiplier),
        [s] "r"(r.shift)
      : "cc");
  return hi;
}
#else
TINYML_RT_INLINE int32_t one_multiply(int32_t a, const ChannelRequant& r) {
  const auto nudge = static_cast<int64_t>(
      (static_cast<uint64_t>(static_cast<uint32_t>(r.nudge_hi)) << 32) | r.nudge_lo);
  const int64_t v = static_cast<int64_t>(a) * r.multiplier + nudge - (a < 0 ? int64_t{1} << 31 : 0);
  return static_cast<int32_t>(v >> 32) >> r.shift;
}
#endif

// MultiplyByQuantizedMultiplier(a, channel's multiplier, channel's shift) + zero point
// (added modulo 2^32, as the reference does); `shift` is the channel's original shift.
TINYML_RT_INLINE int32_t scale(int32_t a, const ChannelRequant& r, int32_t zero_point, int32_t shift) {
  return r.shift >= 0 ? one_multiply(a, r) : wrap_add(mbqm(a, r.multiplier, shift), zero_point);
}

// The output zero point and the fused activation's clamp, shared by all channels.
struct OutputClamp {
  int32_t zero_point, lo, hi;
  bool full() const { return lo == kInt8Min && hi == kInt8Max; }
};
TINYML_RT_INLINE OutputClamp output_clamp(const tinyml_rt_requant& q) {
  return OutputClamp{q.output_zero_point, q.act_min, q.act_max};
}

// clamp(v, lo, hi); with Full (the clamp is the whole int8 range) one saturation.
template <bool Full>
TINYML_RT_INLINE int8_t clamp_output(int32_t v, const OutputClamp& o) {
#if TINYML_RT_DSP_NATIVE
  if (Full) return static_cast<int8_t>(__ssat(v, 8));
#endif
  return static_cast<int8_t>(v < o.lo ? o.lo : v > o.hi ? o.hi : v);
}

// requantize(acc, q, c) with the channel prepared by channel_requant(q, c); shift = q.shift[c].
template <bool Full>
TINYML_RT_INLINE int8_t requantize_fast(int32_t acc, const ChannelRequant& r, const OutputClamp& o,
                                        int32_t shift) {
  return clamp_output<Full>(scale(acc, r, o.zero_point, shift), o);
}

}  // namespace dsp
}  // namespace tinyml_rt

#endif  // TINYML_RT_DSP_HPP
