/* tinyml device runtime: int8 kernels with TensorFlow Lite's quantization arithmetic.
 *
 * A C header (C99 or C++) with plain structs; the kernels are written in C++17 and
 * exported with C linkage. No heap, no exceptions, no RTTI, no OS calls, no static
 * constructors, no floating point inside the int8 kernels. runtime/README.md is the
 * contract: status codes, quantization formulas, layouts and how to add a kernel.
 *
 * Conventions shared by every kernel:
 * - Every kernel returns a tinyml_rt_status and writes nothing but its outputs (and its
 *   scratch). Arguments are checked before anything is written: on an error the outputs
 *   are untouched.
 * - Shapes are row-major (C order); images and feature maps are NHWC. Weights are stored
 *   as TensorFlow Lite stores them: conv [out_ch][kh][kw][in_ch], depthwise
 *   [1][kh][kw][in_ch * multiplier], fully connected [out][in].
 * - A real value r of an int8 tensor q is r = scale * (q - zero_point). Activations are
 *   per-tensor asymmetric, weights per-channel (or per-tensor) symmetric (zero point 0),
 *   biases int32 with scale input_scale * weight_scale[c] and zero point 0.
 * - A (multiplier, shift) pair stands for the real number multiplier * 2^(shift - 31):
 *   shift > 0 shifts left, shift < 0 right (TensorFlow Lite's convention).
 * - Every kernel has a companion <kernel>_scratch_size(): the bytes of scratch it needs
 *   (0 for most); kernels that need scratch take (scratch, scratch_bytes), 4-byte aligned.
 */
#ifndef TINYML_RT_H
#define TINYML_RT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tinyml_rt_status {
  TINYML_RT_OK = 0,
  TINYML_RT_NULL_POINTER = 1,        /* a required pointer is NULL */
  TINYML_RT_BAD_SHAPE = 2,           /* ranks or dimensions do not fit together */
  TINYML_RT_BAD_PARAM = 3,           /* a parameter is out of its range */
  TINYML_RT_SCRATCH_TOO_SMALL = 4,   /* less scratch than _scratch_size() asked for,
                                        or scratch not 4-byte aligned */
  TINYML_RT_UNSUPPORTED = 5,         /* valid, but outside what this runtime implements */
  /* Model bundles and their update (tinyml_rt_bundle.h, tinyml_rt_slots.h): */
  TINYML_RT_BAD_BUNDLE = 6,          /* not a valid bundle: magic, length, CRC, a count,
                                        offset or parameter out of range */
  TINYML_RT_INCOMPATIBLE = 7,        /* a valid bundle for another format version or for a
                                        newer runtime (TINYML_RT_COMPAT_VERSION) */
  TINYML_RT_SELF_TEST_FAILED = 8,    /* a bundle's test input did not give its expected output */
  TINYML_RT_FLASH_ERROR = 9,         /* a flash callback failed, or a slot is too small */
  TINYML_RT_NO_MODEL = 10            /* no slot holds a valid, committed bundle */
} tinyml_rt_status;

/* What this runtime can run: the operation kinds, parameter layouts and weight encodings of
 * model bundles. A bundle states the version it needs; a bundle needing a newer one is
 * refused (TINYML_RT_INCOMPATIBLE). Raised whenever a bundle may use something older
 * runtimes cannot run. */
#define TINYML_RT_COMPAT_VERSION 1u

/* A tensor's shape: rank 1 to 4, every dimension >= 1, at most INT32_MAX elements. */
#define TINYML_RT_MAX_RANK 4
typedef struct tinyml_rt_shape {
  int32_t rank;
  int32_t dims[TINYML_RT_MAX_RANK];
} tinyml_rt_shape;

/* ---- Requantization primitives (gemmlowp / TensorFlow Lite semantics) ---------------- */

/* a * b / 2^31 rounded to nearest, ties toward +infinity (the nudge 2^30, or 1 - 2^30 for
 * a negative product, then C's truncating division); INT32_MIN * INT32_MIN saturates to
 * INT32_MAX. */
int32_t tinyml_rt_saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
/* x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31] (clamped). */
int32_t tinyml_rt_rounding_divide_by_pot(int32_t x, int32_t exponent);
/* x * multiplier * 2^(shift - 31): TFLite's MultiplyByQuantizedMultiplier (a left shift of
 * x, then the high multiply, then the rounding right shift: two roundings, as TFLite
 * does without TFLITE_SINGLE_ROUNDING). shift in [-31, 30] (clamped). */
int32_t tinyml_rt_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier,
                                                   int32_t shift);

/* ---- Float helpers (preparation; not used inside int8 kernels) ------------------------ */

/* TFLite's QuantizeMultiplier: real = multiplier * 2^(shift - 31) with multiplier in
 * [2^30, 2^31) (or 0), from frexp, rounded half away from zero, the 2^31 case folded into
 * the shift, and tiny |real| (shift < -31) flushed to (0, 0). BAD_PARAM for NaN or
 * infinity. The shift is returned as computed; each kernel checks the range it accepts. */
tinyml_rt_status tinyml_rt_quantize_multiplier(double real_multiplier, int32_t* multiplier,
                                               int32_t* shift);

typedef enum tinyml_rt_activation {
  TINYML_RT_ACT_NONE = 0,
  TINYML_RT_ACT_RELU = 1,
  TINYML_RT_ACT_RELU6 = 2,
  TINYML_RT_ACT_RELU_N1_TO_1 = 3
} tinyml_rt_activation;

/* TFLite's CalculateActivationRangeQuantized for an int8 output of (scale, zero_point):
 * the fused activation as a clamp [act_min, act_max]. */
tinyml_rt_status tinyml_rt_activation_range(tinyml_rt_activation activation, float scale,
                                            int32_t zero_point, int32_t* act_min,
                                            int32_t* act_max);

/* Per-channel output multipliers of conv, depthwise conv and fully connected:
 * real[c] = (double)input_scale * (double)filter_scales[c] / (double)output_scale,
 * each through tinyml_rt_quantize_multiplier (as TFLite's PopulateConvolutionQuantization-
 * Params). count = 1 for a per-tensor fully connected layer. */
tinyml_rt_status tinyml_rt_prepare_channel_multipliers(float input_scale,
                                                       const float* filter_scales,
                                                       int32_t count, float output_scale,
                                                       int32_t* multipliers,
                                                       int32_t* shifts);

/* Output size and leading padding of one spatial axis, TFLite's rule: VALID
 * out = ceil((in - effective_filter + 1) / stride); SAME out = ceil(in / stride) and
 * pad_before = max((out - 1) * stride + effective_filter - in, 0) / 2 (the odd pixel goes
 * after). effective_filter = (filter - 1) * dilation + 1. */
typedef enum tinyml_rt_padding { TINYML_RT_PADDING_VALID = 0, TINYML_RT_PADDING_SAME = 1 }
    tinyml_rt_padding;
tinyml_rt_status tinyml_rt_compute_padding(tinyml_rt_padding padding, int32_t in_size,
                                           int32_t filter_size, int32_t stride,
                                           int32_t dilation, int32_t* out_size,
                                           int32_t* pad_before);

/* ---- Shared parameter blocks ---------------------------------------------------------- */

/* How an int32 accumulator becomes an int8 output:
 * out = clamp(MultiplyByQuantizedMultiplier(acc, multiplier[c], shift[c]) + zero_point,
 *             act_min, act_max). */
typedef struct tinyml_rt_requant {
  const int32_t* multiplier; /* one per output channel (or one for per-tensor) */
  const int32_t* shift;      /* same count; each in [-31, 30] */
  int32_t output_zero_point; /* [-128, 127] */
  int32_t act_min;           /* fused activation clamp, -128 <= act_min <= act_max <= 127 */
  int32_t act_max;
} tinyml_rt_requant;

/* Where a sliding window starts: output (y, x) reads input rows from
 * y * stride_h - pad_top and columns from x * stride_w - pad_left; positions outside the
 * input are skipped (they count as the input zero point for convolutions). */
typedef struct tinyml_rt_window {
  int32_t stride_h, stride_w; /* >= 1 */
  int32_t pad_top, pad_left;  /* >= 0 */
} tinyml_rt_window;

/* ---- Conv2D (Conv1D is Conv2D with height 1) ------------------------------------------ */

typedef struct tinyml_rt_conv2d_params {
  tinyml_rt_window window;
  int32_t dilation_h, dilation_w; /* >= 1 */
  int32_t input_zero_point;       /* [-128, 127] */
  tinyml_rt_requant out;          /* out_ch multipliers and shifts */
} tinyml_rt_conv2d_params;

/* input [n][h][w][in_ch], filter [out_ch][kh][kw][in_ch], bias [out_ch] or NULL,
 * output [n][oh][ow][out_ch]. kh * kw * in_ch <= 65536 (so the int32 sum of products
 * cannot overflow). Scratch (4-byte aligned, tinyml_rt_conv2d_s8_scratch_size() bytes): the
 * fast path's buffers, with S = kw * in_ch rounded up to a multiple of 4 and K = kh * S:
 * 4 * K (two output pixels' windows as int16) + 20 * out_ch (each channel's prepared
 * requantization and bias) + out_ch * K when kw * in_ch is not a multiple of 4 (the filter
 * rows padded) + S when in_ch is not a multiple of 4 (one window row gathered). Every core
 * asks for it, so that one memory plan fits all; the portable kernel leaves it unused. */
tinyml_rt_status tinyml_rt_conv2d_s8(const tinyml_rt_conv2d_params* params,
                                     const tinyml_rt_shape* input_shape, const int8_t* input,
                                     const tinyml_rt_shape* filter_shape,
                                     const int8_t* filter, const int32_t* bias,
                                     const tinyml_rt_shape* output_shape, int8_t* output,
                                     void* scratch, size_t scratch_bytes);
size_t tinyml_rt_conv2d_s8_scratch_size(const tinyml_rt_conv2d_params* params,
                                        const tinyml_rt_shape* input_shape,
                                        const tinyml_rt_shape* filter_shape,
                                        const tinyml_rt_shape* output_shape);

/* ---- DepthwiseConv2D ------------------------------------------------------------------ */

typedef struct tinyml_rt_depthwise_conv2d_params {
  tinyml_rt_window window;
  int32_t dilation_h, dilation_w; /* >= 1 */
  int32_t depth_multiplier;       /* >= 1; out_ch = in_ch * depth_multiplier */
  int32_t input_zero_point;
  tinyml_rt_requant out;          /* out_ch multipliers and shifts */
} tinyml_rt_depthwise_conv2d_params;

/* input [n][h][w][in_ch], filter [1][kh][kw][out_ch], bias [out_ch] or NULL,
 * output [n][oh][ow][out_ch]; output channel c = i * depth_multiplier + m reads input
 * channel i. */
tinyml_rt_status tinyml_rt_depthwise_conv2d_s8(const tinyml_rt_depthwise_conv2d_params* params,
                                               const tinyml_rt_shape* input_shape,
                                               const int8_t* input,
                                               const tinyml_rt_shape* filter_shape,
                                               const int8_t* filter, const int32_t* bias,
                                               const tinyml_rt_shape* output_shape,
                                               int8_t* output);
size_t tinyml_rt_depthwise_conv2d_s8_scratch_size(
    const tinyml_rt_depthwise_conv2d_params* params, const tinyml_rt_shape* input_shape,
    const tinyml_rt_shape* filter_shape, const tinyml_rt_shape* output_shape);

/* ---- FullyConnected ------------------------------------------------------------------- */

typedef struct tinyml_rt_fully_connected_params {
  int32_t input_zero_point;
  int32_t filter_zero_point; /* 0 for TFLite's int8 weights; kept as TFLite does */
  int32_t per_channel;       /* 0: out.multiplier/out.shift have 1 entry; 1: one per output */
  tinyml_rt_requant out;
} tinyml_rt_fully_connected_params;

/* filter [out][in]; input of any shape whose element count is batches * in; output of
 * any shape with batches * out elements and last dimension out. bias [out] or NULL.
 * in <= 65536. */
tinyml_rt_status tinyml_rt_fully_connected_s8(const tinyml_rt_fully_connected_params* params,
                                              const tinyml_rt_shape* input_shape,
                                              const int8_t* input,
                                              const tinyml_rt_shape* filter_shape,
                                              const int8_t* filter, const int32_t* bias,
                                              const tinyml_rt_shape* output_shape,
                                              int8_t* output);
size_t tinyml_rt_fully_connected_s8_scratch_size(
    const tinyml_rt_fully_connected_params* params, const tinyml_rt_shape* input_shape,
    const tinyml_rt_shape* filter_shape, const tinyml_rt_shape* output_shape);

/* FullyConnected with bitmask-sparse weights, for pruned layers: filter_shape is the dense
 * [out][in]; `filter` holds, for each output row, ceil(in / 8) mask bytes (bit i % 8 of
 * byte i / 8 set when weight i is non-zero) and then the row's non-zero int8 weights in
 * order, filter_bytes in all. filter_zero_point must be 0. Only the stored weights are
 * multiplied, and the outputs equal tinyml_rt_fully_connected_s8's on the dense weights,
 * bit for bit. An encoding that does not match the shape (or ends early or late) is
 * BAD_PARAM, found before anything is written. */
tinyml_rt_status tinyml_rt_fully_connected_sparse_s8(
    const tinyml_rt_fully_connected_params* params, const tinyml_rt_shape* input_shape,
    const int8_t* input, const tinyml_rt_shape* filter_shape, const uint8_t* filter,
    size_t filter_bytes, const int32_t* bias, const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_fully_connected_sparse_s8_scratch_size(
    const tinyml_rt_fully_connected_params* params, const tinyml_rt_shape* input_shape,
    const tinyml_rt_shape* filter_shape, const tinyml_rt_shape* output_shape);

/* ---- MaxPool2D and AveragePool2D ------------------------------------------------------ */

/* Input and output share one quantization (TFLite's rule for int8 pooling). */
typedef struct tinyml_rt_pool2d_params {
  tinyml_rt_window window;
  int32_t filter_h, filter_w; /* >= 1 */
  int32_t act_min, act_max;   /* fused activation clamp */
} tinyml_rt_pool2d_params;

/* input [n][h][w][c], output [n][oh][ow][c]. A window with no input pixel inside is
 * BAD_PARAM (checked before any output is written). Average: sum / count rounded half
 * away from zero, as TFLite's reference AveragePool. */
tinyml_rt_status tinyml_rt_max_pool2d_s8(const tinyml_rt_pool2d_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const int8_t* input,
                                         const tinyml_rt_shape* output_shape,
                                         int8_t* output);
size_t tinyml_rt_max_pool2d_s8_scratch_size(const tinyml_rt_pool2d_params* params,
                                            const tinyml_rt_shape* input_shape,
                                            const tinyml_rt_shape* output_shape);
tinyml_rt_status tinyml_rt_avg_pool2d_s8(const tinyml_rt_pool2d_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const int8_t* input,
                                         const tinyml_rt_shape* output_shape,
                                         int8_t* output);
size_t tinyml_rt_avg_pool2d_s8_scratch_size(const tinyml_rt_pool2d_params* params,
                                            const tinyml_rt_shape* input_shape,
                                            const tinyml_rt_shape* output_shape);

/* ---- Mean over H and W (global average pooling) --------------------------------------- */

typedef struct tinyml_rt_mean_params {
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift; /* input_scale / output_scale (tinyml_rt_prepare_mean) */
} tinyml_rt_mean_params;

/* input [n][h][w][c], output [n][1][1][c] or [n][c]. TFLite's integer QuantizedMeanOrSum:
 * the 1 / (h * w) is folded into the multiplier. Scratch: c int32 sums. */
tinyml_rt_status tinyml_rt_mean_hw_s8(const tinyml_rt_mean_params* params,
                                      const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output,
                                      void* scratch, size_t scratch_bytes);
size_t tinyml_rt_mean_hw_s8_scratch_size(const tinyml_rt_mean_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const tinyml_rt_shape* output_shape);
tinyml_rt_status tinyml_rt_prepare_mean(float input_scale, int32_t input_zero_point,
                                        float output_scale, int32_t output_zero_point,
                                        tinyml_rt_mean_params* params);

/* ---- Add ------------------------------------------------------------------------------ */

typedef struct tinyml_rt_add_params {
  int32_t input1_zero_point, input2_zero_point, output_zero_point;
  int32_t left_shift; /* 20 for int8, as TFLite */
  int32_t input1_multiplier, input1_shift; /* shifts in [-31, 0] */
  int32_t input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
} tinyml_rt_add_params;

/* Shapes of equal rank; each input dimension equals the output's or is 1 (broadcast). */
tinyml_rt_status tinyml_rt_add_s8(const tinyml_rt_add_params* params,
                                  const tinyml_rt_shape* input1_shape, const int8_t* input1,
                                  const tinyml_rt_shape* input2_shape, const int8_t* input2,
                                  const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_add_s8_scratch_size(const tinyml_rt_add_params* params,
                                     const tinyml_rt_shape* input1_shape,
                                     const tinyml_rt_shape* input2_shape,
                                     const tinyml_rt_shape* output_shape);
/* TFLite's int8 Add preparation: left shift 20, twice the larger input scale, the three
 * multipliers through QuantizeMultiplierSmallerThanOneExp. */
tinyml_rt_status tinyml_rt_prepare_add(float input1_scale, int32_t input1_zero_point,
                                       float input2_scale, int32_t input2_zero_point,
                                       float output_scale, int32_t output_zero_point,
                                       tinyml_rt_activation activation,
                                       tinyml_rt_add_params* params);

/* ---- Softmax, Logistic, Tanh ---------------------------------------------------------- */

/* Softmax over the last dimension; the output has scale 1/256 and zero point -128. */
typedef struct tinyml_rt_softmax_params {
  int32_t input_multiplier;  /* beta * input_scale * 2^26, as a Q31 multiplier */
  int32_t input_left_shift;  /* [0, 31] */
  int32_t diff_min;          /* differences below this give exp = 0 (output -128) */
} tinyml_rt_softmax_params;

tinyml_rt_status tinyml_rt_softmax_s8(const tinyml_rt_softmax_params* params,
                                      const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_softmax_s8_scratch_size(const tinyml_rt_softmax_params* params,
                                         const tinyml_rt_shape* input_shape,
                                         const tinyml_rt_shape* output_shape);
tinyml_rt_status tinyml_rt_prepare_softmax(float beta, float input_scale,
                                           tinyml_rt_softmax_params* params);

/* Logistic (output scale 1/256, zero point -128) and Tanh (output scale 1/128, zero point
 * 0): the input is rescaled to a Q4.27 fixed-point number and gemmlowp's fixed-point
 * logistic / tanh are evaluated, as TFLite Micro's reference int8 kernels do. */
typedef struct tinyml_rt_q4_activation_params {
  int32_t input_zero_point;
  int32_t input_range_radius; /* |q - zero_point| >= radius saturates */
  int32_t input_multiplier;
  int32_t input_left_shift;   /* [-31, 30] */
} tinyml_rt_q4_activation_params;
typedef tinyml_rt_q4_activation_params tinyml_rt_logistic_params;
typedef tinyml_rt_q4_activation_params tinyml_rt_tanh_params;

tinyml_rt_status tinyml_rt_logistic_s8(const tinyml_rt_logistic_params* params,
                                       const tinyml_rt_shape* input_shape,
                                       const int8_t* input,
                                       const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_logistic_s8_scratch_size(const tinyml_rt_logistic_params* params,
                                          const tinyml_rt_shape* input_shape,
                                          const tinyml_rt_shape* output_shape);
tinyml_rt_status tinyml_rt_tanh_s8(const tinyml_rt_tanh_params* params,
                                   const tinyml_rt_shape* input_shape, const int8_t* input,
                                   const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_tanh_s8_scratch_size(const tinyml_rt_tanh_params* params,
                                      const tinyml_rt_shape* input_shape,
                                      const tinyml_rt_shape* output_shape);
/* TFLite Micro's preparation for both: input_scale * 2^27 through frexp. */
tinyml_rt_status tinyml_rt_prepare_q4_activation(float input_scale, int32_t input_zero_point,
                                                 tinyml_rt_q4_activation_params* params);

/* ---- Data movement -------------------------------------------------------------------- */

/* Reshape / Flatten: the bytes are copied unchanged; the element counts must match.
 * input == output is allowed (nothing to do); other overlaps are BAD_PARAM. */
tinyml_rt_status tinyml_rt_reshape_s8(const tinyml_rt_shape* input_shape, const int8_t* input,
                                      const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_reshape_s8_scratch_size(const tinyml_rt_shape* input_shape,
                                         const tinyml_rt_shape* output_shape);

typedef struct tinyml_rt_pad_params {
  int32_t before[TINYML_RT_MAX_RANK]; /* per dimension of the input's rank, >= 0 */
  int32_t after[TINYML_RT_MAX_RANK];
  int32_t pad_value;                  /* the output zero point for TFLite's PAD */
} tinyml_rt_pad_params;

/* output dims[d] = before[d] + input dims[d] + after[d]. */
tinyml_rt_status tinyml_rt_pad_s8(const tinyml_rt_pad_params* params,
                                  const tinyml_rt_shape* input_shape, const int8_t* input,
                                  const tinyml_rt_shape* output_shape, int8_t* output);
size_t tinyml_rt_pad_s8_scratch_size(const tinyml_rt_pad_params* params,
                                     const tinyml_rt_shape* input_shape,
                                     const tinyml_rt_shape* output_shape);

/* One input of a concatenation. With params.requantize == 0 the bytes are copied (the
 * inputs share the output's quantization, TFLite Micro's rule) and zero_point,
 * multiplier and shift are ignored; with requantize == 1 each value becomes
 * clamp(MultiplyByQuantizedMultiplier(q - zero_point, multiplier, shift)
 *       + output_zero_point, -128, 127), multiplier/shift for input_scale / output_scale. */
typedef struct tinyml_rt_concat_input {
  const int8_t* data;
  tinyml_rt_shape shape;
  int32_t zero_point;
  int32_t multiplier, shift;
} tinyml_rt_concat_input;

typedef struct tinyml_rt_concat_params {
  int32_t axis;        /* [0, rank) */
  int32_t requantize;  /* 0 or 1 */
  int32_t output_zero_point;
} tinyml_rt_concat_params;

tinyml_rt_status tinyml_rt_concatenation_s8(const tinyml_rt_concat_params* params,
                                            const tinyml_rt_concat_input* inputs,
                                            int32_t num_inputs,
                                            const tinyml_rt_shape* output_shape,
                                            int8_t* output);
size_t tinyml_rt_concatenation_s8_scratch_size(const tinyml_rt_concat_params* params,
                                               const tinyml_rt_concat_input* inputs,
                                               int32_t num_inputs,
                                               const tinyml_rt_shape* output_shape);

/* ---- Quantize and Dequantize (float helpers) ------------------------------------------ */

typedef struct tinyml_rt_quant_params {
  float scale; /* > 0 and finite */
  int32_t zero_point;
} tinyml_rt_quant_params;

/* q = clamp(round(x / scale) + zero_point, -128, 127), x / scale in float, round half away
 * from zero (TFLite's AffineQuantize); NaN becomes the zero point. */
tinyml_rt_status tinyml_rt_quantize_f32_s8(const tinyml_rt_quant_params* params,
                                           const float* input, int8_t* output, int32_t count);
size_t tinyml_rt_quantize_f32_s8_scratch_size(const tinyml_rt_quant_params* params,
                                              int32_t count);
/* x = scale * (q - zero_point), one float rounding (TFLite's Dequantize). */
tinyml_rt_status tinyml_rt_dequantize_s8_f32(const tinyml_rt_quant_params* params,
                                             const int8_t* input, float* output,
                                             int32_t count);
size_t tinyml_rt_dequantize_s8_f32_scratch_size(const tinyml_rt_quant_params* params,
                                                int32_t count);

/* Raw readings -> int8 with the data stage's normalization folded into the input
 * quantization, so the device feeds raw sensor values. Element i uses channel
 * c = i % channels (the feature, the last axis):
 *   q = clamp(round((x - offset[c]) * multiplier[c]) + zero_point, -128, 127)
 * with multiplier[c] = 1 / (normalization scale[c] x input scale); the subtraction and
 * the multiplication are each one IEEE float rounding (no fused multiply-add is
 * possible), round half away from zero, NaN becomes the zero point. count must be a
 * multiple of channels; offsets finite, multipliers positive and finite. */
typedef struct tinyml_rt_quant_affine_params {
  const float* offset;     /* [channels] */
  const float* multiplier; /* [channels] */
  int32_t channels;        /* >= 1 */
  int32_t zero_point;      /* the input tensor's zero point */
} tinyml_rt_quant_affine_params;

tinyml_rt_status tinyml_rt_quantize_affine_f32_s8(const tinyml_rt_quant_affine_params* params,
                                                  const float* input, int8_t* output,
                                                  int32_t count);
size_t tinyml_rt_quantize_affine_f32_s8_scratch_size(
    const tinyml_rt_quant_affine_params* params, int32_t count);

/* ---- KNN over int8 prototypes --------------------------------------------------------- */

typedef enum tinyml_rt_distance {
  TINYML_RT_DISTANCE_L2_SQUARED = 0, /* sum of (a - b)^2 */
  TINYML_RT_DISTANCE_L1 = 1          /* sum of |a - b| */
} tinyml_rt_distance;

typedef struct tinyml_rt_knn_params {
  int32_t k;           /* 1 <= k <= number of prototypes */
  int32_t num_classes; /* labels are in [0, num_classes) */
  int32_t distance;    /* a tinyml_rt_distance */
} tinyml_rt_knn_params;

/* For each of num_queries queries [dim], the k nearest of num_prototypes prototypes
 * [num_prototypes][dim] (int32 distances on the raw int8 values, so prototypes and
 * queries must share one quantization), then a majority vote of their labels.
 * Ties: a prototype enters the k nearest only when strictly closer than the farthest kept
 * one, so among equal distances the lower prototype index wins; the neighbours come out
 * sorted by distance, then index; among classes with equal votes the lowest class index
 * wins. Outputs: classes [num_queries]; neighbours and distances [num_queries][k], each
 * may be NULL. dim <= 33025 (so an L2 distance fits in int32). Scratch:
 * 8 * k + 4 * num_classes bytes. */
tinyml_rt_status tinyml_rt_knn_s8(const tinyml_rt_knn_params* params, const int8_t* prototypes,
                                  const int32_t* labels, int32_t num_prototypes, int32_t dim,
                                  const int8_t* queries, int32_t num_queries, int32_t* classes,
                                  int32_t* neighbours, int32_t* distances, void* scratch,
                                  size_t scratch_bytes);
size_t tinyml_rt_knn_s8_scratch_size(const tinyml_rt_knn_params* params);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_RT_H */
