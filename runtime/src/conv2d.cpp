// Conv2D, int8, per-channel weights: TFLite's reference ConvPerChannel.
//   acc = bias[oc] + sum over (ky, kx, ic) of filter * (input - input_zero_point),
//   positions outside the input skipped; out = requantize(acc, channel oc).
//
// Two ways to compute it, with the same outputs bit for bit:
// - portable: the reference loops above, one output value at a time;
// - fast (the default on cores with the DSP extension, rt_dsp.hpp): two output pixels at a
//   time are laid out in the scratch as columns of int16 values (input - zero point, 0 for
//   taps outside the input, so padding contributes nothing), and each pair of output
//   channels runs one loop of dual 16-bit multiply-accumulates over both columns: 4
//   filter bytes and 4 values of each column give 16 products in 18 instructions.
// The order of the additions differs, which cannot change the int32 sum: the kernel's
// limit (kh * kw * in_ch <= 65536 products of at most 128 * 255 in magnitude) keeps every
// partial sum below 2^31, and the bias is added with wrap-around on both paths.
#include "rt_dsp.hpp"
#include "rt_paths.hpp"

namespace {

tinyml_rt_status check(const tinyml_rt_conv2d_params* p, const tinyml_rt_shape* in_s,
                       const tinyml_rt_shape* f_s, const tinyml_rt_shape* out_s) {
  const tinyml_rt_status st = tinyml_rt::check_conv_shapes(p, in_s, f_s, out_s);
  if (st != TINYML_RT_OK) return st;
  const int32_t out_ch = f_s->dims[0];
  if (f_s->dims[3] != in_s->dims[3] || out_s->dims[3] != out_ch) return TINYML_RT_BAD_SHAPE;
  const int64_t terms = static_cast<int64_t>(f_s->dims[1]) * f_s->dims[2] * f_s->dims[3];
  return tinyml_rt::check_conv_params(*p, terms, out_ch);
}

// ---- portable ------------------------------------------------------------------------------

void conv_portable(const tinyml_rt_conv2d_params& p, const tinyml_rt_shape* input_shape,
                   const int8_t* input, const tinyml_rt_shape* filter_shape, const int8_t* filter,
                   const int32_t* bias, const tinyml_rt_shape* output_shape, int8_t* output) {
  const int32_t in_h = input_shape->dims[1], in_w = input_shape->dims[2];
  const int32_t in_ch = input_shape->dims[3];
  const int32_t k_h = filter_shape->dims[1], k_w = filter_shape->dims[2];
  const int32_t out_ch = filter_shape->dims[0];
  const int32_t input_offset = -p.input_zero_point;

  for (int32_t n = 0; n < output_shape->dims[0]; ++n) {
    for (int32_t oy = 0; oy < output_shape->dims[1]; ++oy) {
      const int32_t y0 = oy * p.window.stride_h - p.window.pad_top;
      for (int32_t ox = 0; ox < output_shape->dims[2]; ++ox) {
        const int32_t x0 = ox * p.window.stride_w - p.window.pad_left;
        int8_t* out = output + tinyml_rt::nhwc(output_shape, n, oy, ox, 0);
        for (int32_t oc = 0; oc < out_ch; ++oc) {
          int32_t acc = 0;
          for (int32_t ky = 0; ky < k_h; ++ky) {
            const int32_t y = y0 + ky * p.dilation_h;
            if (y < 0 || y >= in_h) continue;
            for (int32_t kx = 0; kx < k_w; ++kx) {
              const int32_t x = x0 + kx * p.dilation_w;
              if (x < 0 || x >= in_w) continue;
              const int8_t* in = input + tinyml_rt::nhwc(input_shape, n, y, x, 0);
              const int8_t* w = filter + ((oc * k_h + ky) * k_w + kx) * in_ch;
              for (int32_t ic = 0; ic < in_ch; ++ic) {
                acc += static_cast<int32_t>(w[ic]) * (static_cast<int32_t>(in[ic]) + input_offset);
              }
            }
          }
          if (bias != nullptr) acc = tinyml_rt::wrap_add(acc, bias[oc]);
          out[oc] = tinyml_rt::requantize(acc, p.out, oc);
        }
      }
    }
  }
}

// ---- fast ----------------------------------------------------------------------------------
//
// The window of an output pixel is kh runs of span = kw * in_ch input bytes (one per kernel
// row; with dilation_w = 1 each run is contiguous in the input). Each run is padded to
// span4 = span rounded up to a multiple of 4, so a window has K4 = kh * span4 values and
// every run is whole groups of 4. When span4 > span the filter rows are copied with zeros
// in the same places, so whatever the padding holds is multiplied by 0 (an interior run is
// then read with its few following input bytes; they count for nothing).
//
// Scratch, 4-byte aligned parts:
// - columns (4 * K4 bytes): two output pixels' windows (input minus zero point; 0 for taps
//   outside the input, so padding adds nothing) as words of two int16 lanes. Values
//   k = 4g .. 4g+3 form group g, stored as 4 words [pixel 0: (v0, v2), (v1, v3)]
//   [pixel 1: (v0, v2), (v1, v3)], the lane order in which SXTB16 and SXTB16 ROR 8 unpack
//   4 filter bytes;
// - table (20 bytes per output channel): each channel's requantization prepared once, and
//   its bias (dsp::ChannelRequant);
// - when span4 > span, the padded filter rows (out_ch * K4 bytes);
// - when in_ch % 4 != 0, staging (span4 bytes): a run that reaches outside the input (or
//   is dilated) gathered tap by tap, the outside taps as the zero point.
struct Layout {
  int32_t span, span4, terms4;
  uint64_t table, weights, staging, total;  // byte offsets; the columns start at 0
};

Layout layout(const tinyml_rt_shape* filter_shape) {
  Layout l{};
  const auto out_ch = static_cast<uint64_t>(filter_shape->dims[0]);
  const int32_t in_ch = filter_shape->dims[3];
  l.span = filter_shape->dims[2] * in_ch;
  l.span4 = (l.span + 3) & ~3;
  l.terms4 = filter_shape->dims[1] * l.span4;
  const auto k4 = static_cast<uint64_t>(l.terms4);
  l.table = 4 * k4;
  l.weights = l.table + sizeof(tinyml_rt::dsp::ChannelRequant) * out_ch;
  l.staging = l.weights + (l.span4 != l.span ? k4 * out_ch : 0);
  l.total = l.staging + (in_ch % 4 != 0 ? static_cast<uint64_t>(l.span4) : 0);
  return l;
}

void copy_bytes(int8_t* dst, const int8_t* src, int32_t n) {
  for (int32_t i = 0; i < n; ++i) dst[i] = src[i];
}
void set_bytes(int8_t* dst, int8_t v, int32_t n) {
  for (int32_t i = 0; i < n; ++i) dst[i] = v;
}

// The common block, two pixels: both columns against `pairs` (>= 1) pairs of filter rows
// (rows 2i and 2i + 1, each 4 * groups bytes, one after the other from `weights`), each sum
// starting from its channel's bias (table[c].bias) and requantized at once: pixel 0's
// channel c to out[c], pixel 1's to out[out_ch + c]. Every channel in the one-multiply
// form and the clamp the whole int8 range.
struct PairJob {
  const int8_t* weights;
  const uint32_t* cols;
  int32_t groups;
  const tinyml_rt::dsp::ChannelRequant* table;
  int8_t* out;
  int32_t out_ch;
  int32_t pairs;
};

#if TINYML_RT_DSP_NATIVE
static_assert(sizeof(tinyml_rt::dsp::ChannelRequant) == 20 &&
                  offsetof(tinyml_rt::dsp::ChannelRequant, nudge_lo) == 8 &&
                  offsetof(tinyml_rt::dsp::ChannelRequant, bias) == 16,
              "pair_block reads the table entries at these offsets");
static_assert(offsetof(PairJob, pairs) == 24, "pair_block reads the job with one LDM");
// The whole loop over the channel pairs in assembly, every register in use: per pair 18
// instructions for each group (16 products), 8 for each of the 4 requantizations and 16
// more. The job's fields other than the weights live on the stack: [sp] cols, +4 groups,
// +8 table, +12 out, +16 out_ch, +20 pairs.
__attribute__((naked)) void pair_block(const PairJob*) {
  __asm__ volatile(
      "push {r4-r11, lr}\n\t"
      "ldm r0, {r1-r7}\n\t"
      "push {r2-r7}\n\t"
      "mov r0, r1\n"
      "1:\n\t"  // a pair: r0 row a, r1 row b, r2 columns, r3 count, r4-r7 sums
      "ldr r3, [sp, #4]\n\t"
      "add r1, r0, r3, lsl #2\n\t"
      "ldr r8, [sp, #8]\n\t"
      "ldr r4, [r8, #16]\n\t"
      "ldr r6, [r8, #36]\n\t"
      "mov r5, r4\n\t"
      "mov r7, r6\n\t"
      "ldr r2, [sp]\n"
      "2:\n\t"  // a group: 4 bytes of each row against 4 values of each column
      "ldr r8, [r0], #4\n\t"
      "ldrd r10, r11, [r2], #16\n\t"
      "ldrd r12, lr, [r2, #-8]\n\t"
      "sxtb16 r9, r8, ror #8\n\t"
      "sxtb16 r8, r8\n\t"
      "smlad r4, r8, r10, r4\n\t"
      "smlad r4, r9, r11, r4\n\t"
      "smlad r5, r8, r12, r5\n\t"
      "smlad r5, r9, lr, r5\n\t"
      "ldr r8, [r1], #4\n\t"
      "sxtb16 r9, r8, ror #8\n\t"
      "sxtb16 r8, r8\n\t"
      "smlad r6, r8, r10, r6\n\t"
      "smlad r6, r9, r11, r6\n\t"
      "smlad r7, r8, r12, r7\n\t"
      "smlad r7, r9, lr, r7\n\t"
      "subs r3, r3, #1\n\t"
      "bne 2b\n\t"
      // requantize: r8 table entry, r9 multiplier, r10 shift, r11:r12 nudge, r3 out,
      // lr out_ch, r0 and r2 the 64-bit sum
      "ldr r8, [sp, #8]\n\t"
      "ldr r3, [sp, #12]\n\t"
      "ldr lr, [sp, #16]\n\t"
      "ldrd r9, r10, [r8]\n\t"
      "ldrd r11, r12, [r8, #8]\n\t"
      "asr r2, r4, #31\n\t"
      "adds r0, r11, r2, lsl #31\n\t"
      "adc r2, r12, r2\n\t"
      "smlal r0, r2, r4, r9\n\t"
      "asr r2, r2, r10\n\t"
      "ssat r2, #8, r2\n\t"
      "strb r2, [r3]\n\t"
      "asr r2, r5, #31\n\t"
      "adds r0, r11, r2, lsl #31\n\t"
      "adc r2, r12, r2\n\t"
      "smlal r0, r2, r5, r9\n\t"
      "asr r2, r2, r10\n\t"
      "ssat r2, #8, r2\n\t"
      "strb r2, [r3, lr]\n\t"
      "add r3, r3, #1\n\t"
      "ldrd r9, r10, [r8, #20]\n\t"
      "ldrd r11, r12, [r8, #28]\n\t"
      "asr r2, r6, #31\n\t"
      "adds r0, r11, r2, lsl #31\n\t"
      "adc r2, r12, r2\n\t"
      "smlal r0, r2, r6, r9\n\t"
      "asr r2, r2, r10\n\t"
      "ssat r2, #8, r2\n\t"
      "strb r2, [r3]\n\t"
      "asr r2, r7, #31\n\t"
      "adds r0, r11, r2, lsl #31\n\t"
      "adc r2, r12, r2\n\t"
      "smlal r0, r2, r7, r9\n\t"
      "asr r2, r2, r10\n\t"
      "ssat r2, #8, r2\n\t"
      "strb r2, [r3, lr]\n\t"
      "add r3, r3, #1\n\t"
      "str r3, [sp, #12]\n\t"
      "add r8, r8, #40\n\t"
      "str r8, [sp, #8]\n\t"
      "mov r0, r1\n\t"  // the next pair's first row follows
      "ldr r2, [sp, #20]\n\t"
      "subs r2, r2, #1\n\t"
      "str r2, [sp, #20]\n\t"
      "bne 1b\n\t"
      "add sp, sp, #24\n\t"
      "pop {r4-r11, pc}\n\t");
}
#else
void pair_block(const PairJob* job) {
  using namespace tinyml_rt::dsp;
  const OutputClamp full{0, tinyml_rt::kInt8Min, tinyml_rt::kInt8Max};  // the zero points are in the table
  const int8_t* wa = job->weights;
  const int32_t k4 = 4 * job->groups;
  int8_t* out = job->out;
  const ChannelRequant* q = job->table;
  for (int32_t i = 0; i < job->pairs; ++i, q += 2, out += 2) {
    const int8_t* wb = wa + k4;
    const uint32_t* c = job->cols;
    int32_t a0 = q[0].bias, b0 = q[1].bias;
    int32_t a1 = a0, b1 = b0;
    dot_2x2(wa, wb, c, job->groups, a0, a1, b0, b1);
    out[0] = clamp_output<true>(one_multiply(a0, q[0]), full);
    out[job->out_ch] = clamp_output<true>(one_multiply(a1, q[0]), full);
    out[1] = clamp_output<true>(one_multiply(b0, q[1]), full);
    out[job->out_ch + 1] = clamp_output<true>(one_multiply(b1, q[1]), full);
    wa = wb;
  }
}
#endif

struct FastConv {
  const tinyml_rt_conv2d_params& p;
  const int8_t* input;
  const int8_t* input_end;
  const int8_t* weights;  // rows of terms4 bytes
  int32_t in_h, in_w, in_ch, k_h, k_w, out_ch;
  int32_t span, span4, terms4, groups;  // groups = terms4 / 4
  uint32_t offset2;                     // -input_zero_point in both int16 lanes
  uint32_t* cols;
  int8_t* staging;  // nullptr when in_ch % 4 == 0
  // Windows read straight from the input: y0 in [0, y_last], x0 in [0, x_last] (-1: none)
  // and the first run starting at most `at_last` bytes into the input (so that the last
  // padded run ends inside it; negative: none).
  int32_t y_last, x_last, at_last;

  // The window of output pixel (oy, ox) of image n into column `slot` (0 or 1).
  TINYML_RT_INLINE void fill(int32_t n, int32_t oy, int32_t ox, int32_t slot) const {
    const int32_t y0 = oy * p.window.stride_h - p.window.pad_top;
    const int32_t x0 = ox * p.window.stride_w - p.window.pad_left;
    const int32_t row_bytes = in_w * in_ch;
    const int32_t at = (n * in_h + y0) * row_bytes + x0 * in_ch;
    uint32_t* dst = cols + 2 * slot;
    // The common case: every run whole inside the input and read straight from it.
    if (y0 >= 0 && y0 <= y_last && x0 >= 0 && x0 <= x_last && at <= at_last) {
      tinyml_rt::dsp::unpack_window(dst, input + at, k_h, span4 / 4, p.dilation_h * row_bytes, offset2);
      return;
    }
    fill_edge(n, y0, x0, dst);
  }

  // A window that reaches outside the input (or is dilated along x, or would be read past
  // the input's end), run by run.
  __attribute__((noinline)) void fill_edge(int32_t n, int32_t y0, int32_t x0, uint32_t* dst) const {
    using namespace tinyml_rt::dsp;
    const int32_t h = in_h, ch = in_ch, kh = k_h, dil_h = p.dilation_h;
    const int32_t row_bytes = in_w * ch, words = span4 / 4;
    const uint32_t offset = offset2;
    const int8_t* image = input + n * h * row_bytes;
    const bool columns_inside = p.dilation_w == 1 && x0 >= 0 && x0 + k_w <= in_w;
    for (int32_t ky = 0; ky < kh; ++ky) {
      const int32_t y = y0 + ky * dil_h;
      const int8_t* src = image + y * row_bytes + x0 * ch;
      if (y < 0 || y >= h) {
        for (int32_t i = words; i > 0; --i, dst += 4) dst[0] = dst[1] = 0;
      } else if (columns_inside && src + span4 <= input_end) {
        unpack_words(dst, src, words, offset);
      } else {
        unpack_run(dst, image + y * row_bytes, x0);
      }
    }
  }

  // One kernel row that reaches outside the input (or is dilated, or would be read past the
  // input's end), tap by tap; row is the input row.
  void unpack_run(uint32_t*& dst, const int8_t* row, int32_t x0) const {
    using namespace tinyml_rt::dsp;
    const int32_t w = in_w, ch = in_ch, kw = k_w, dil_w = p.dilation_w;
    const uint32_t offset = offset2;
    if (staging == nullptr) {  // in_ch % 4 == 0: every tap is whole groups
      for (int32_t kx = 0, x = x0; kx < kw; ++kx, x += dil_w) {
        if (x >= 0 && x < w) {
          unpack_words(dst, row + x * ch, ch / 4, offset);
        } else {
          for (int32_t i = ch / 4; i > 0; --i, dst += 4) dst[0] = dst[1] = 0;
        }
      }
      return;
    }
    int8_t* const s = staging;
    const auto zero_point = static_cast<int8_t>(p.input_zero_point);
    for (int32_t kx = 0, x = x0; kx < kw; ++kx, x += dil_w) {
      if (x >= 0 && x < w) {
        copy_bytes(s + kx * ch, row + x * ch, ch);
      } else {
        set_bytes(s + kx * ch, zero_point, ch);
      }
    }
    set_bytes(s + span, 0, span4 - span);  // met by zero weights
    unpack_words(dst, s, span4 / 4, offset);
  }

  // The pixels in the columns (both when `two`, else column 0), every channel, the
  // general way: an odd last channel, a lone last pixel, a clamp inside the int8 range or
  // channels outside the one-multiply form. out: pixel 0's channels (pixel 1's follow).
  void block_general(bool two, const tinyml_rt_requant& q, const tinyml_rt::dsp::ChannelRequant* table,
                     int8_t* out) const {
    using namespace tinyml_rt::dsp;
    const OutputClamp o = output_clamp(q);
    const int32_t channels = out_ch, k4 = terms4, n = groups;
    int8_t* out1 = out + channels;
    for (int32_t oc = 0; oc < channels; oc += 2) {
      const bool pair = oc + 1 < channels;
      const int8_t* wa = weights + oc * k4;
      const int8_t* wb = pair ? wa + k4 : wa;
      int32_t a0 = table[oc].bias, b0 = pair ? table[oc + 1].bias : 0;
      int32_t a1 = a0, b1 = b0;
      const uint32_t* cp = cols;
      if (two) {
        dot_2x2(wa, wb, cp, n, a0, a1, b0, b1);
      } else {
        for (int32_t g = 0; g < n; ++g, cp += 4) {
          const uint32_t va = load4(wa), vb = load4(wb);
          wa += 4;
          wb += 4;
          a0 = smlad(sxtb16_ror8(va), cp[1], smlad(sxtb16(va), cp[0], a0));
          b0 = smlad(sxtb16_ror8(vb), cp[1], smlad(sxtb16(vb), cp[0], b0));
        }
      }
      out[oc] = requantize_fast<false>(a0, table[oc], o, q.shift[oc]);
      if (two) out1[oc] = requantize_fast<false>(a1, table[oc], o, q.shift[oc]);
      if (pair) {
        out[oc + 1] = requantize_fast<false>(b0, table[oc + 1], o, q.shift[oc + 1]);
        if (two) out1[oc + 1] = requantize_fast<false>(b1, table[oc + 1], o, q.shift[oc + 1]);
      }
    }
  }
};

void conv_fast(const tinyml_rt_conv2d_params& p, const tinyml_rt_shape* input_shape,
               const int8_t* input, const tinyml_rt_shape* filter_shape, const int8_t* filter,
               const int32_t* bias, const tinyml_rt_shape* output_shape, int8_t* output,
               void* scratch) {
  using tinyml_rt::dsp::ChannelRequant;
  const Layout l = layout(filter_shape);
  const int32_t in_ch = input_shape->dims[3];
  const int32_t out_ch = filter_shape->dims[0], k_h = filter_shape->dims[1];
  auto* bytes = static_cast<uint8_t*>(scratch);
  auto* table = static_cast<ChannelRequant*>(static_cast<void*>(bytes + l.table));
  bool all_one_multiply = true;
  for (int32_t c = 0; c < out_ch; ++c) {
    table[c] = tinyml_rt::dsp::channel_requant(p.out, c);
    table[c].bias = bias != nullptr ? bias[c] : 0;
    all_one_multiply = all_one_multiply && table[c].shift >= 0;
  }
  const int8_t* weights = filter;
  if (l.span4 != l.span) {
    auto* padded = reinterpret_cast<int8_t*>(bytes + l.weights);
    for (int32_t r = 0; r < out_ch * k_h; ++r) {
      copy_bytes(padded + r * l.span4, filter + r * l.span, l.span);
      set_bytes(padded + r * l.span4 + l.span, 0, l.span4 - l.span);
    }
    weights = padded;
  }
  int32_t input_count = 1;
  for (int32_t d = 0; d < 4; ++d) input_count *= input_shape->dims[d];
  const int32_t in_h = input_shape->dims[1], in_w = input_shape->dims[2], k_w = filter_shape->dims[2];
  const int32_t run_step = p.dilation_h * in_w * in_ch;
  const int8_t* input_end = input + input_count;
  const int32_t last_run = (k_h - 1) * run_step + l.span4;
  const FastConv c{p,
                   input,
                   input_end,
                   weights,
                   in_h,
                   in_w,
                   in_ch,
                   k_h,
                   k_w,
                   out_ch,
                   l.span,
                   l.span4,
                   l.terms4,
                   l.terms4 / 4,
                   tinyml_rt::dsp::splat16(-p.input_zero_point),
                   static_cast<uint32_t*>(scratch),
                   in_ch % 4 == 0 ? nullptr : reinterpret_cast<int8_t*>(bytes + l.staging),
                   in_h - 1 - (k_h - 1) * p.dilation_h,
                   p.dilation_w == 1 ? in_w - k_w : -1,
                   input_count - last_run};
  // The common block (pair_block): two pixels, an even channel count, every channel in the
  // one-multiply form and no clamp inside the int8 range.
  const bool common = out_ch % 2 == 0 && all_one_multiply && tinyml_rt::dsp::output_clamp(p.out).full();
  PairJob job{weights, c.cols, l.terms4 / 4, table, nullptr, out_ch, out_ch / 2};
  const int32_t out_w = output_shape->dims[2];
  const int32_t pixels = output_shape->dims[1] * out_w;
  int8_t* out = output;
  for (int32_t n = 0; n < output_shape->dims[0]; ++n) {
    int32_t oy = 0, ox = 0;
    for (int32_t i = 0; i < pixels; i += 2) {
      const bool two = i + 1 < pixels;
      c.fill(n, oy, ox, 0);
      if (++ox == out_w) {
        ox = 0;
        ++oy;
      }
      if (two) {
        c.fill(n, oy, ox, 1);
        if (++ox == out_w) {
          ox = 0;
          ++oy;
        }
      }
      if (two && common) {
        job.out = out;
        pair_block(&job);
      } else {
        c.block_general(two, p.out, table, out);
      }
      out += two ? 2 * out_ch : out_ch;
    }
  }
}

size_t scratch_bytes_for(const tinyml_rt_shape* input_shape, const tinyml_rt_shape* filter_shape) {
  if (input_shape == nullptr || filter_shape == nullptr || filter_shape->rank != 4 ||
      input_shape->rank != 4) {
    return 0;
  }
  for (int32_t d = 0; d < 4; ++d) {
    if (filter_shape->dims[d] < 1) return 0;
  }
  const int64_t terms =
      static_cast<int64_t>(filter_shape->dims[1]) * filter_shape->dims[2] * filter_shape->dims[3];
  if (terms > tinyml_rt::kMaxAccumulationTerms) return 0;
  const uint64_t total = layout(filter_shape).total;
  return total > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(total);
}

// The kernel with its checks, on the portable (Fast = false) or the fast path.
template <bool Fast>
tinyml_rt_status run(const tinyml_rt_conv2d_params* params, const tinyml_rt_shape* input_shape,
                     const int8_t* input, const tinyml_rt_shape* filter_shape, const int8_t* filter,
                     const int32_t* bias, const tinyml_rt_shape* output_shape, int8_t* output,
                     void* scratch, size_t scratch_bytes) {
  const tinyml_rt_status st = check(params, input_shape, filter_shape, output_shape);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || filter == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  if (!tinyml_rt::scratch_fits(scratch, scratch_bytes, scratch_bytes_for(input_shape, filter_shape))) {
    return TINYML_RT_SCRATCH_TOO_SMALL;
  }
  if constexpr (Fast) {
    conv_fast(*params, input_shape, input, filter_shape, filter, bias, output_shape, output, scratch);
  } else {
    conv_portable(*params, input_shape, input, filter_shape, filter, bias, output_shape, output);
  }
  return TINYML_RT_OK;
}

}  // namespace

tinyml_rt::Conv2dKernel* const tinyml_rt::conv2d_s8_portable = run<false>;
tinyml_rt::Conv2dKernel* const tinyml_rt::conv2d_s8_fast = run<true>;

extern "C" {

size_t tinyml_rt_conv2d_s8_scratch_size(const tinyml_rt_conv2d_params*,
                                        const tinyml_rt_shape* input_shape,
                                        const tinyml_rt_shape* filter_shape,
                                        const tinyml_rt_shape*) {
  return scratch_bytes_for(input_shape, filter_shape);
}

tinyml_rt_status tinyml_rt_conv2d_s8(const tinyml_rt_conv2d_params* params,
                                     const tinyml_rt_shape* input_shape, const int8_t* input,
                                     const tinyml_rt_shape* filter_shape,
                                     const int8_t* filter, const int32_t* bias,
                                     const tinyml_rt_shape* output_shape, int8_t* output,
                                     void* scratch, size_t scratch_bytes) {
  return run<TINYML_RT_FAST_PATHS != 0>(params, input_shape, input, filter_shape, filter, bias,
                                        output_shape, output, scratch, scratch_bytes);
}

}  // extern "C"
