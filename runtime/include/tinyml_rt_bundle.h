/* tinyml device runtime: model bundles.
 *
 * A bundle is one int8 model as the host's deploy stage writes it (docs/bundle.md): the
 * operations with their prepared parameters, the tensors' arena offsets from the memory
 * plan, the weights, biases and requantization multipliers, the input quantization (with
 * the data stage's normalization folded in), thresholds, class names, a self-test (one
 * input and its expected output) and a CRC-32 over everything. Fixed-layout little-endian
 * records: the device runs a bundle in place (from memory-mapped flash), without a heap.
 *
 * Use: tinyml_rt_bundle_check() once (it validates everything, so nothing a bundle says can
 * make the interpreter read or write outside the bundle, the arena or the caller's input
 * and output), then tinyml_rt_bundle_invoke() per input.
 */
#ifndef TINYML_RT_BUNDLE_H
#define TINYML_RT_BUNDLE_H

#include "tinyml_rt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The bundle format this runtime reads (the layout of docs/bundle.md). */
#define TINYML_RT_BUNDLE_FORMAT_VERSION 1u

/* A checked bundle: what tinyml_rt_bundle_check() found. The pointers point into the
 * bundle (the arrays are 4-byte aligned in it). */
typedef struct tinyml_rt_bundle {
  const uint8_t* data;
  uint32_t size;
  uint32_t format_version;
  uint32_t runtime_compat;  /* the TINYML_RT_COMPAT_VERSION the bundle needs */
  uint32_t model_version;   /* the number the host gave this model */
  uint32_t arena_bytes;     /* the arena tinyml_rt_bundle_invoke() needs */
  uint32_t num_tensors, num_ops;
  uint32_t input_bytes, output_bytes; /* int8 values of the model input and output */
  float input_scale;        /* the input tensor's quantization */
  int32_t input_zero_point;
  float output_scale;       /* the output's: real value = scale * (q - zero_point) */
  int32_t output_zero_point;
  /* Raw sensor readings -> the int8 input: the data stage's normalization folded into the
   * input quantization, ready for tinyml_rt_quantize_affine_f32_s8 (input_bytes values;
   * offsets and multipliers point into the bundle). */
  tinyml_rt_quant_affine_params input_quantization;
  uint32_t num_thresholds;
  const float* thresholds;
  uint32_t num_classes;
  const char* class_names;  /* num_classes NUL-terminated names, one after the other */
  const int8_t* self_test_input;   /* input_bytes values */
  const int8_t* self_test_output;  /* output_bytes values */
  /* When the check fails: what was wrong (a constant string) and the index of the tensor
   * or operation concerned (or 0). */
  const char* problem;
  uint32_t problem_index;
} tinyml_rt_bundle;

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, as zlib's crc32()): pass 0 first,
 * then the previous result to continue over more bytes. */
uint32_t tinyml_rt_crc32(uint32_t crc, const void* data, size_t size);

/* Validates a bundle of `size` bytes at `data` (4-byte aligned) before anything runs: the
 * magic, the length, the CRC-32, the format version (INCOMPATIBLE unless
 * TINYML_RT_BUNDLE_FORMAT_VERSION) and the runtime version it needs (INCOMPATIBLE above
 * TINYML_RT_COMPAT_VERSION), every count, offset and length, every shape against its
 * tensor and the tensors against the arena, each operation's parameters as its kernel
 * needs them (zero points in int8, clamps, multipliers in [2^30, 2^31) or 0, shifts in
 * range, strides, windows, weight and bias sizes, the sparse rows' encoding), scales and
 * input multipliers positive and finite, input offsets and thresholds finite, class names
 * and the self-test's sizes. Fills *bundle (also on
 * failure: problem and problem_index say what was refused). BAD_BUNDLE, INCOMPATIBLE,
 * NULL_POINTER, or UNSUPPORTED on a big-endian machine. */
tinyml_rt_status tinyml_rt_bundle_check(const void* data, size_t size, tinyml_rt_bundle* bundle);

/* Runs a checked bundle: copies `input` (input_bytes int8 values, quantized) to the
 * arena, runs every operation through the runtime's kernels at the planned offsets and
 * copies the model output to `output` (output_bytes values). The arena: at least
 * arena_bytes, 4-byte aligned; nothing outside its first arena_bytes is touched. On an
 * error `output` is untouched. */
tinyml_rt_status tinyml_rt_bundle_invoke(const tinyml_rt_bundle* bundle, void* arena, size_t arena_size,
                                         const int8_t* input, int8_t* output);

/* Runs the bundle's self-test input in the arena and compares the output with the
 * expected one, byte for byte: OK or SELF_TEST_FAILED (or the kernel's error). */
tinyml_rt_status tinyml_rt_bundle_self_test(const tinyml_rt_bundle* bundle, void* arena, size_t arena_size);

/* The name of class k (NULL when k >= num_classes). */
const char* tinyml_rt_bundle_class_name(const tinyml_rt_bundle* bundle, uint32_t k);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_RT_BUNDLE_H */
