// The model bundle's layout (docs/bundle.md), shared by the check and the interpreter:
// field offsets, little-endian readers that need no alignment, and one operation's record
// decoded into the runtime's parameter structs.
// C++17, freestanding: <stdint.h> and <stddef.h> only.
#ifndef TINYML_RT_BUNDLE_FORMAT_HPP
#define TINYML_RT_BUNDLE_FORMAT_HPP

#include <stddef.h>
#include <stdint.h>

#include "tinyml_rt.h"

namespace tinyml_rt {
namespace bundle {

// Records are sequences of little-endian 32-bit words; a field is named by its word index
// and sits at byte at(word) of its record.
constexpr uint32_t at(uint32_t word) { return 4 * word; }

// The header: 128 bytes at the start of the bundle (word 0 and 1: the magic).
constexpr uint32_t kHeaderBytes = 128;
constexpr uint8_t kMagic[8] = {'T', 'M', 'L', 'B', 'U', 'N', 'D', 'L'};
enum HeaderWord : uint32_t {
  kFormatVersion = 2, kRuntimeCompat, kTotalBytes, kHeaderSize, kModelVersion, kArenaBytes,
  kNumTensors, kTensorsOffset, kNumOps, kOpsOffset, kInputTensor, kOutputTensor,
  kInputChannels,     // the input quantization's channels (features), >= 1
  kInputQuantOffset,  // their float offsets, then their float multipliers
  kNumThresholds, kThresholdsOffset, kNumClasses, kClassesOffset, kClassesBytes,
  kSelfTestInputOffset, kSelfTestOutputOffset, kDataOffset, kDataBytes,
  kReservedBegin  // zero up to kHeaderBytes
};

// A tensor: 16 bytes.
constexpr uint32_t kTensorBytes = 16;
enum TensorWord : uint32_t { kTensorArenaOffset, kTensorSize, kTensorScale, kTensorZeroPoint };
constexpr uint32_t kUnused = 0xFFFFFFFFu;  // a tensor no operation touches; no second input

// An operation: 192 bytes.
constexpr uint32_t kOpBytes = 192;
constexpr uint32_t kNumParams = 15;
enum OpWord : uint32_t {
  kOpKind, kOpInput, kOpInput2, kOpOutput, kOpScratchOffset, kOpScratchBytes,
  kOpShapes,  // input, input2, output, filter: each rank then 4 dimensions (5 words)
  kOpWeightsOffset = kOpShapes + 20, kOpWeightsBytes, kOpWeightsEncoding, kOpChannels,
  kOpBiasOffset, kOpMultipliersOffset, kOpShiftsOffset,
  kOpParams  // kNumParams int32, by kind; unused ones are 0
};
static_assert(at(kReservedBegin) == 100 && at(kOpParams) + 4 * kNumParams == kOpBytes, "layout");
constexpr uint32_t kShapeBytes = 20;

// Operation kinds, numbered from 1 in this order (docs/bundle.md).
enum Kind : uint32_t {
  kConv2D = 1,
  kDepthwiseConv2D, kFullyConnected, kMaxPool, kAveragePool, kMean, kAdd, kReshape, kLogistic, kTanh
};
enum Encoding : uint32_t { kDense = 0, kBitmaskRows = 1 };

// The metadata record of a slot (tinyml_rt_slots.h): 32 bytes.
constexpr uint32_t kMetaBytes = 32;
constexpr uint32_t kMetaMagic = 0x4D4C4D54u;  // "TMLM"
constexpr uint32_t kMetaVersion = 1;

inline uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
inline int32_t rdi32(const uint8_t* p) { return static_cast<int32_t>(rd32(p)); }
inline void wr32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

// One operation's record, decoded. The shapes are as stored (check them before use).
struct Op {
  uint32_t kind, input, input2, output, scratch_offset, scratch_bytes;
  tinyml_rt_shape in, in2, out, filter;
  uint32_t weights_offset, weights_bytes, encoding, channels;
  uint32_t bias_offset, multipliers_offset, shifts_offset;
  int32_t p[kNumParams];
};

inline Op read_op(const uint8_t* data, uint32_t ops_offset, uint32_t k) {
  const uint8_t* r = data + ops_offset + k * kOpBytes;
  Op op{};
  // The words from kOpKind and from kOpWeightsOffset are consecutive: read in a row.
  uint32_t* const head[] = {&op.kind, &op.input, &op.input2, &op.output, &op.scratch_offset, &op.scratch_bytes};
  for (uint32_t i = 0; i < 6; ++i) *head[i] = rd32(r + at(kOpKind + i));
  tinyml_rt_shape* shapes[4] = {&op.in, &op.in2, &op.out, &op.filter};
  for (uint32_t s = 0; s < 4; ++s) {
    const uint8_t* q = r + at(kOpShapes) + s * kShapeBytes;
    shapes[s]->rank = rdi32(q);
    for (uint32_t d = 0; d < TINYML_RT_MAX_RANK; ++d) shapes[s]->dims[d] = rdi32(q + 4 + 4 * d);
  }
  uint32_t* const tail[] = {&op.weights_offset, &op.weights_bytes,      &op.encoding,     &op.channels,
                            &op.bias_offset,    &op.multipliers_offset, &op.shifts_offset};
  for (uint32_t i = 0; i < 7; ++i) *tail[i] = rd32(r + at(kOpWeightsOffset + i));
  for (uint32_t i = 0; i < kNumParams; ++i) op.p[i] = rdi32(r + at(kOpParams) + 4 * i);
  return op;
}

// The runtime's parameter structs of one operation (only its kind's is filled), built
// from the record's parameters and pointing into the bundle (int32 arrays are 4-byte
// aligned there).
struct Params {
  tinyml_rt_conv2d_params conv;
  tinyml_rt_depthwise_conv2d_params depthwise;
  tinyml_rt_fully_connected_params fc;
  tinyml_rt_pool2d_params pool;
  tinyml_rt_mean_params mean;
  tinyml_rt_add_params add;
  tinyml_rt_q4_activation_params q4;
};
Params make_params(const uint8_t* data, const Op& op);
// The operation's kernel's _scratch_size() with these parameters.
size_t scratch_size(const Op& op, const Params& p);
// Calls the operation's kernel on arena tensors x (x2 for Add) and y.
tinyml_rt_status run_kernel(const uint8_t* data, const Op& op, const Params& p, const int8_t* x,
                            const int8_t* x2, int8_t* y, void* scratch);

inline const int32_t* int32s(const uint8_t* data, uint32_t offset) {
  return static_cast<const int32_t*>(static_cast<const void*>(data + offset));
}

}  // namespace bundle
}  // namespace tinyml_rt

#endif  // TINYML_RT_BUNDLE_FORMAT_HPP
