#include "kernel_checks.hpp"

#include "tinyml_rt.h"

namespace tinyml_fw_test {

namespace {

// Collects the text and hashes the output bytes.
struct Writer {
  WriteFn write;
  void* context;
  uint32_t hash;
  int failures;
};

void put(Writer& w, const char* text) {
  size_t n = 0;
  while (text[n] != '\0') ++n;
  w.write(w.context, text, n);
}

void put_hex(Writer& w, const void* data, size_t count) {
  static const char digits[] = "0123456789abcdef";
  const uint8_t* p = static_cast<const uint8_t*>(data);
  char pair[2];
  for (size_t i = 0; i < count; ++i) {
    pair[0] = digits[p[i] >> 4];
    pair[1] = digits[p[i] & 0xfu];
    w.write(w.context, pair, 2);
    w.hash = (w.hash ^ p[i]) * 16777619u;  // FNV-1a
  }
}

// "<name> status=<s> <hex>\n"
void report(Writer& w, const char* name, tinyml_rt_status status, const void* data, size_t count) {
  put(w, name);
  put(w, " status=");
  const char digit[2] = {static_cast<char>('0' + static_cast<int>(status)), '\0'};
  put(w, digit);
  put(w, " ");
  put_hex(w, data, count);
  put(w, "\n");
  if (status != TINYML_RT_OK) ++w.failures;
}

// xorshift32: the same numbers on every target.
struct Random {
  uint32_t state;
  uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
  int8_t i8() { return static_cast<int8_t>(static_cast<int32_t>(next() >> 24) - 128); }
  // In [-range, range].
  int32_t i32(int32_t range) {
    return static_cast<int32_t>(next() % static_cast<uint32_t>(2 * range + 1)) - range;
  }
  void fill(int8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) p[i] = i8();
  }
};

tinyml_rt_shape shape(int32_t rank, int32_t d0, int32_t d1 = 1, int32_t d2 = 1, int32_t d3 = 1) {
  tinyml_rt_shape s;
  s.rank = rank;
  s.dims[0] = d0;
  s.dims[1] = d1;
  s.dims[2] = d2;
  s.dims[3] = d3;
  return s;
}

// Buffers: static, so the firmware needs no large stack frames.
int8_t image[1 * 8 * 8 * 3];
int8_t conv_filter[4 * 3 * 3 * 3];
int32_t conv_bias[4];
int8_t conv_out[1 * 8 * 8 * 4];
int8_t dw_filter[3 * 3 * 4];
int32_t dw_bias[4];
int8_t dw_out[1 * 4 * 4 * 4];
int8_t max_out[1 * 4 * 4 * 4];
int8_t avg_out[1 * 4 * 4 * 4];
int8_t mean_out[4];
int8_t fc_filter[10 * 64];
int32_t fc_bias[10];
int8_t fc_out[10];
uint8_t sparse_filter[10 * (8 + 64)];
int8_t sparse_out[10];
int8_t add_out[64];
int8_t softmax_out[10];
int8_t logistic_out[64];
int8_t tanh_out[64];
int8_t prototypes[12 * 16];
int32_t proto_labels[12];
int8_t queries[3 * 16];
int32_t knn_classes[3];
int32_t knn_neighbours[3 * 3];
int32_t knn_distances[3 * 3];
float floats[32];
int8_t quantized[32];
float dequantized[32];
alignas(8) uint8_t scratch[2048];

// The fast paths' edge cases (odd channel and pixel counts, padding, stride, dilation,
// leftover values, extreme values and zero points, every kind of requantization channel).
int8_t case_in[2 * 9 * 9 * 8];
int8_t case_filter[9 * 3 * 3 * 8];
int8_t case_out[2 * 9 * 9 * 9];
int32_t case_bias[9];
int32_t case_mult[9];
int32_t case_shift[9];


// Random values with about one in eight at -128 or 127.
void fill_edgy(Random& rng, int8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rng.next();
    p[i] = (r & 7u) != 0 ? static_cast<int8_t>(static_cast<int32_t>(r >> 24) - 128)
                         : static_cast<int8_t>((r & 8u) != 0 ? 127 : -128);
  }
}

// Per-channel requantization of every kind the fast paths tell apart. Ordinary channels
// (right shifts deeper for longer sums of `terms` products, so that most outputs fall
// inside the int8 range) and, on every third channel, the next of: a left shift (a
// multiplier above 1), a shift too deep for the one-multiply form, a zero multiplier, a
// negative one, the largest multiplier with the smallest right shift, a bias that wraps.
int32_t next_special = 0;
void edge_requant(Random& rng, int32_t channels, int32_t terms, tinyml_rt_requant& q, int32_t zero_point,
                  int32_t lo, int32_t hi, bool specials = true) {
  int32_t depth = 9;
  for (int32_t t = 1; t < terms; t *= 4) ++depth;
  for (int32_t c = 0; c < channels; ++c) {
    case_mult[c] = static_cast<int32_t>(0x40000000u + (rng.next() >> 2));
    case_shift[c] = -depth - static_cast<int32_t>(rng.next() % 3);
    case_bias[c] = rng.i32(40000);
    if (!specials || c % 3 != 2) continue;
    switch (next_special++ % 6) {
      case 0: case_shift[c] = 2; break;
      case 1: case_shift[c] = -25; break;
      case 2: case_mult[c] = 0; break;
      case 3: case_mult[c] = -0x50000000; break;
      case 4: case_mult[c] = 0x7fffffff; case_shift[c] = -1; break;
      default: case_bias[c] = 2000000000; break;  // wraps with the sum
    }
  }
  q.multiplier = case_mult;
  q.shift = case_shift;
  q.output_zero_point = zero_point;
  q.act_min = lo;
  q.act_max = hi;
}

struct ConvCase {
  const char* name;
  int32_t n, h, w, in_ch, out_ch, kh, kw, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left;
  int32_t in_zp, out_zp, lo, hi;
  bool specials;  // false: ordinary channels only (the convolution's assembly block)
};

void conv_case(Writer& w, Random& rng, const ConvCase& k) {
  tinyml_rt_conv2d_params p{};
  p.window.stride_h = k.stride_h;
  p.window.stride_w = k.stride_w;
  p.window.pad_top = k.pad_top;
  p.window.pad_left = k.pad_left;
  p.dilation_h = k.dil_h;
  p.dilation_w = k.dil_w;
  p.input_zero_point = k.in_zp;
  edge_requant(rng, k.out_ch, k.kh * k.kw * k.in_ch, p.out, k.out_zp, k.lo, k.hi, k.specials);
  const int32_t oh = (k.h - 1 + k.pad_top) / k.stride_h + 1, ow = (k.w - 1 + k.pad_left) / k.stride_w + 1;
  const tinyml_rt_shape is = shape(4, k.n, k.h, k.w, k.in_ch), fs = shape(4, k.out_ch, k.kh, k.kw, k.in_ch),
                        os = shape(4, k.n, oh, ow, k.out_ch);
  fill_edgy(rng, case_in, static_cast<size_t>(k.n * k.h * k.w * k.in_ch));
  fill_edgy(rng, case_filter, static_cast<size_t>(k.out_ch * k.kh * k.kw * k.in_ch));
  const size_t need = tinyml_rt_conv2d_s8_scratch_size(&p, &is, &fs, &os);
  const tinyml_rt_status st =
      need <= sizeof scratch ? tinyml_rt_conv2d_s8(&p, &is, case_in, &fs, case_filter, case_bias, &os, case_out, scratch, need)
                             : TINYML_RT_SCRATCH_TOO_SMALL;
  report(w, k.name, st, case_out, static_cast<size_t>(k.n * oh * ow * k.out_ch));
}

}  // namespace

int run_kernel_checks(WriteFn write, void* context) {
  Writer w{write, context, 2166136261u, 0};
  Random rng{0x12345678u};

  // Conv2D 3x3, SAME, ReLU, per-channel multipliers prepared on the target (float code).
  rng.fill(image, sizeof image);
  rng.fill(conv_filter, sizeof conv_filter);
  for (int32_t& b : conv_bias) b = rng.i32(2000);
  const float conv_w_scales[4] = {0.02f, 0.015f, 0.03f, 0.01f};
  int32_t conv_mult[4], conv_shift[4];
  report(w, "prepare_conv", tinyml_rt_prepare_channel_multipliers(0.05f, conv_w_scales, 4, 1.5f, conv_mult, conv_shift),
         conv_mult, sizeof conv_mult);
  put_hex(w, conv_shift, sizeof conv_shift);
  put(w, "\n");
  tinyml_rt_conv2d_params conv{};
  conv.window.stride_h = conv.window.stride_w = 1;
  conv.window.pad_top = conv.window.pad_left = 1;
  conv.dilation_h = conv.dilation_w = 1;
  conv.input_zero_point = -3;
  conv.out.multiplier = conv_mult;
  conv.out.shift = conv_shift;
  conv.out.output_zero_point = 5;
  tinyml_rt_activation_range(TINYML_RT_ACT_RELU, 1.5f, 5, &conv.out.act_min, &conv.out.act_max);
  const tinyml_rt_shape s_image = shape(4, 1, 8, 8, 3), s_conv_f = shape(4, 4, 3, 3, 3),
                        s_conv_out = shape(4, 1, 8, 8, 4);
  report(w, "conv2d",
         tinyml_rt_conv2d_s8(&conv, &s_image, image, &s_conv_f, conv_filter, conv_bias, &s_conv_out, conv_out, scratch,
                             tinyml_rt_conv2d_s8_scratch_size(&conv, &s_image, &s_conv_f, &s_conv_out)),
         conv_out, sizeof conv_out);

  // Depthwise 3x3, stride 2, SAME padding computed by the runtime.
  rng.fill(dw_filter, sizeof dw_filter);
  for (int32_t& b : dw_bias) b = rng.i32(500);
  const float dw_w_scales[4] = {0.01f, 0.012f, 0.02f, 0.008f};
  int32_t dw_mult[4], dw_shift[4];
  tinyml_rt_prepare_channel_multipliers(1.5f, dw_w_scales, 4, 5.0f, dw_mult, dw_shift);
  tinyml_rt_depthwise_conv2d_params dw{};
  int32_t out_size = 0;
  tinyml_rt_compute_padding(TINYML_RT_PADDING_SAME, 8, 3, 2, 1, &out_size, &dw.window.pad_top);
  dw.window.pad_left = dw.window.pad_top;
  dw.window.stride_h = dw.window.stride_w = 2;
  dw.dilation_h = dw.dilation_w = 1;
  dw.depth_multiplier = 1;
  dw.input_zero_point = 5;
  dw.out.multiplier = dw_mult;
  dw.out.shift = dw_shift;
  dw.out.output_zero_point = -10;
  dw.out.act_min = -128;
  dw.out.act_max = 127;
  const tinyml_rt_shape s_dw_f = shape(4, 1, 3, 3, 4), s_small = shape(4, 1, out_size, out_size, 4);
  report(w, "depthwise", tinyml_rt_depthwise_conv2d_s8(&dw, &s_conv_out, conv_out, &s_dw_f, dw_filter, dw_bias, &s_small, dw_out),
         dw_out, sizeof dw_out);

  // Pooling 2x2 (max) and 3x3 (average), stride 2.
  tinyml_rt_pool2d_params pool{};
  pool.window.stride_h = pool.window.stride_w = 2;
  pool.filter_h = pool.filter_w = 2;
  pool.act_min = -128;
  pool.act_max = 127;
  report(w, "max_pool", tinyml_rt_max_pool2d_s8(&pool, &s_conv_out, conv_out, &s_small, max_out), max_out,
         sizeof max_out);
  pool.filter_h = pool.filter_w = 3;
  tinyml_rt_compute_padding(TINYML_RT_PADDING_SAME, 8, 3, 2, 1, &out_size, &pool.window.pad_top);
  pool.window.pad_left = pool.window.pad_top;
  report(w, "avg_pool", tinyml_rt_avg_pool2d_s8(&pool, &s_conv_out, conv_out, &s_small, avg_out), avg_out,
         sizeof avg_out);

  // Mean over H and W (scratch from the runtime's own size).
  tinyml_rt_mean_params mean{};
  tinyml_rt_prepare_mean(5.0f, -10, 4.0f, 3, &mean);
  const tinyml_rt_shape s_mean = shape(2, 1, 4);
  const size_t mean_scratch = tinyml_rt_mean_hw_s8_scratch_size(&mean, &s_small, &s_mean);
  report(w, "mean_hw", tinyml_rt_mean_hw_s8(&mean, &s_small, dw_out, &s_mean, mean_out, scratch, mean_scratch), mean_out,
         sizeof mean_out);

  // Fully connected 64 -> 10, per channel; then the same weights pruned, dense and sparse.
  rng.fill(fc_filter, sizeof fc_filter);
  for (int32_t& b : fc_bias) b = rng.i32(3000);
  float fc_w_scales[10];
  for (int i = 0; i < 10; ++i) fc_w_scales[i] = 0.004f + 0.001f * static_cast<float>(i);
  int32_t fc_mult[10], fc_shift[10];
  tinyml_rt_prepare_channel_multipliers(5.0f, fc_w_scales, 10, 60.0f, fc_mult, fc_shift);
  tinyml_rt_fully_connected_params fc{};
  fc.input_zero_point = -10;
  fc.per_channel = 1;
  fc.out.multiplier = fc_mult;
  fc.out.shift = fc_shift;
  fc.out.output_zero_point = 2;
  fc.out.act_min = -128;
  fc.out.act_max = 127;
  const tinyml_rt_shape s_fc_in = shape(2, 1, 64), s_fc_f = shape(2, 10, 64), s_fc_out = shape(2, 1, 10);
  report(w, "fully_connected", tinyml_rt_fully_connected_s8(&fc, &s_fc_in, dw_out, &s_fc_f, fc_filter, fc_bias, &s_fc_out, fc_out),
         fc_out, sizeof fc_out);
  size_t sparse_bytes = 0;
  for (int o = 0; o < 10; ++o) {
    int8_t* row = fc_filter + o * 64;
    uint8_t* mask = sparse_filter + sparse_bytes;
    sparse_bytes += 8;
    for (int i = 0; i < 64; ++i) {
      if (row[i] > -60 && row[i] < 60) row[i] = 0;
      if (i % 8 == 0) mask[i / 8] = 0;
      if (row[i] != 0) {
        mask[i / 8] = static_cast<uint8_t>(mask[i / 8] | (1u << (i % 8)));
        sparse_filter[sparse_bytes++] = static_cast<uint8_t>(row[i]);
      }
    }
  }
  report(w, "fully_connected_pruned", tinyml_rt_fully_connected_s8(&fc, &s_fc_in, dw_out, &s_fc_f, fc_filter, fc_bias, &s_fc_out, fc_out),
         fc_out, sizeof fc_out);
  report(w, "fully_connected_sparse",
         tinyml_rt_fully_connected_sparse_s8(&fc, &s_fc_in, dw_out, &s_fc_f, sparse_filter, sparse_bytes, fc_bias, &s_fc_out, sparse_out),
         sparse_out, sizeof sparse_out);

  // Add of the two pooled maps (different scales), ReLU.
  tinyml_rt_add_params add{};
  tinyml_rt_prepare_add(1.5f, 5, 1.125f, 5, 2.5f, -7, TINYML_RT_ACT_RELU, &add);
  report(w, "add", tinyml_rt_add_s8(&add, &s_small, max_out, &s_small, avg_out, &s_small, add_out), add_out, sizeof add_out);

  // Softmax of the logits; Logistic and Tanh of the sum.
  tinyml_rt_softmax_params softmax{};
  tinyml_rt_prepare_softmax(1.0f, 0.05f, &softmax);
  report(w, "softmax", tinyml_rt_softmax_s8(&softmax, &s_fc_out, fc_out, &s_fc_out, softmax_out), softmax_out,
         sizeof softmax_out);
  tinyml_rt_q4_activation_params q4{};
  tinyml_rt_prepare_q4_activation(0.06f, -7, &q4);
  const tinyml_rt_shape s_flat = shape(1, 64);
  report(w, "logistic", tinyml_rt_logistic_s8(&q4, &s_flat, add_out, &s_flat, logistic_out), logistic_out,
         sizeof logistic_out);
  report(w, "tanh", tinyml_rt_tanh_s8(&q4, &s_flat, add_out, &s_flat, tanh_out), tanh_out, sizeof tanh_out);

  // KNN: 12 prototypes of 16 values, 4 classes, k = 3.
  rng.fill(prototypes, sizeof prototypes);
  for (int i = 0; i < 12; ++i) proto_labels[i] = i % 4;
  rng.fill(queries, sizeof queries);
  const tinyml_rt_knn_params knn{3, 4, TINYML_RT_DISTANCE_L2_SQUARED};
  report(w, "knn",
         tinyml_rt_knn_s8(&knn, prototypes, proto_labels, 12, 16, queries, 3, knn_classes, knn_neighbours, knn_distances,
                          scratch, tinyml_rt_knn_s8_scratch_size(&knn)),
         knn_classes, sizeof knn_classes);
  put_hex(w, knn_neighbours, sizeof knn_neighbours);
  put_hex(w, knn_distances, sizeof knn_distances);
  put(w, "\n");

  // The fast paths' edge cases.
  {
    next_special = 0;  // the same channels on every run
    static const ConvCase convs[] = {
        // odd pixels (15) and channels (5), 3 input channels (staged runs), clamp inside int8
        {"conv_odd", 1, 5, 7, 3, 5, 3, 3, 1, 1, 1, 1, 0, 0, -128, 20, -20, 90, true},
        // stride 2, dilation 2, padding, 8 input channels (whole groups), two images
        {"conv_strided_dilated", 2, 9, 9, 8, 6, 3, 3, 2, 2, 2, 2, 2, 1, 127, -128, -128, 127, true},
        // 1x1, 4 input channels, 7 output channels
        {"conv_pointwise", 1, 3, 5, 4, 7, 1, 1, 1, 1, 1, 1, 0, 0, -5, 3, -128, 127, true},
        // Conv1D: height 1, 2 input channels, runs of 6 bytes, SAME padding on the left
        {"conv_1d", 1, 1, 12, 2, 8, 1, 3, 1, 1, 1, 1, 0, 1, -92, -128, -128, 127, true},
        // a window reaching past the input on every side, 1 input channel, 9 output channels
        {"conv_padded", 1, 4, 4, 1, 9, 5, 5, 1, 1, 1, 1, 3, 3, 0, 0, -128, 127, true},
        // dilation along x with padding, 5 input channels
        {"conv_dilated_x", 1, 6, 8, 5, 4, 2, 3, 1, 2, 1, 3, 1, 2, 100, -100, -100, 127, true},
        // The assembly block (even channels, ordinary requantization, no clamp inside int8):
        // SAME padding, 1 input channel, 35 pixels (the last one alone)
        {"conv_block_same", 1, 5, 7, 1, 6, 3, 3, 1, 1, 1, 1, 1, 1, -128, 0, -128, 127, false},
        // two images, 8 input channels, stride 2, the input zero point at the top of the range
        {"conv_block_strided", 2, 6, 6, 8, 4, 3, 3, 2, 2, 1, 1, 1, 1, 127, 100, -128, 127, false},
        // Conv1D with 2 input channels (runs padded to whole groups), 8 output channels
        {"conv_block_1d", 1, 1, 12, 2, 8, 1, 3, 1, 1, 1, 1, 0, 1, -92, -128, -128, 127, false},
    };
    for (const ConvCase& k : convs) conv_case(w, rng, k);

    // Fully connected: a depth with 1 value left over, 7 rows, a weight zero point, per
    // tensor; then per channel with every kind of requantization channel.
    tinyml_rt_fully_connected_params fcp{};
    fcp.input_zero_point = 127;
    fcp.filter_zero_point = -3;
    edge_requant(rng, 7, 37, fcp.out, -128, -128, 127);
    case_mult[0] = 0x5a000000;
    case_shift[0] = -13;
    const tinyml_rt_shape fi = shape(2, 2, 37), ff = shape(2, 7, 37), fo = shape(2, 2, 7);
    fill_edgy(rng, case_in, 2 * 37);
    fill_edgy(rng, case_filter, 7 * 37);
    report(w, "fc_filter_zero_point",
           tinyml_rt_fully_connected_s8(&fcp, &fi, case_in, &ff, case_filter, case_bias, &fo, case_out), case_out, 14);
    fcp.filter_zero_point = 0;
    fcp.per_channel = 1;
    edge_requant(rng, 7, 37, fcp.out, 5, -60, 100);
    report(w, "fc_per_channel",
           tinyml_rt_fully_connected_s8(&fcp, &fi, case_in, &ff, case_filter, nullptr, &fo, case_out), case_out, 14);

    // Max pooling: 7 channels (a group of 4 and 3 left over), 3x3 stride 2 with padding, a clamp.
    tinyml_rt_pool2d_params pp{};
    pp.window.stride_h = pp.window.stride_w = 2;
    pp.window.pad_top = pp.window.pad_left = 1;
    pp.filter_h = pp.filter_w = 3;
    pp.act_min = -50;
    pp.act_max = 120;
    const tinyml_rt_shape pi = shape(4, 1, 7, 6, 7), po = shape(4, 1, 4, 3, 7);
    fill_edgy(rng, case_in, 7 * 6 * 7);
    report(w, "max_pool_odd_channels", tinyml_rt_max_pool2d_s8(&pp, &pi, case_in, &po, case_out), case_out, 4 * 3 * 7);
  }

  // Quantize and dequantize (float arithmetic on the target).
  for (int i = 0; i < 32; ++i) floats[i] = static_cast<float>(rng.i32(600)) / 64.0f;
  const tinyml_rt_quant_params qp{0.08f, 4};
  report(w, "quantize", tinyml_rt_quantize_f32_s8(&qp, floats, quantized, 32), quantized, sizeof quantized);
  report(w, "dequantize", tinyml_rt_dequantize_s8_f32(&qp, quantized, dequantized, 32), dequantized,
         sizeof dequantized);

  put(w, "hash ");
  const uint32_t h = w.hash;
  put_hex(w, &h, sizeof h);
  put(w, "\n");
  return w.failures;
}

}  // namespace tinyml_fw_test
