// The bundle interpreter: runs a checked bundle's operations in order through the
// runtime's kernels, every tensor and scratch at its planned arena offset, the weights
// read in place from the bundle. No heap: the parameter structs live on the stack for one
// operation at a time.
#include "bundle_format.hpp"
#include "tinyml_rt_bundle.h"

namespace {

namespace b = tinyml_rt::bundle;

uint32_t tensor_offset(const tinyml_rt_bundle* bd, uint32_t t) {
  const uint32_t table = b::rd32(bd->data + b::at(b::kTensorsOffset));
  return b::rd32(bd->data + table + t * b::kTensorBytes + b::at(b::kTensorArenaOffset));
}

tinyml_rt_status arguments(const tinyml_rt_bundle* bd, const void* arena, size_t arena_size) {
  if (bd == nullptr || bd->data == nullptr || arena == nullptr) return TINYML_RT_NULL_POINTER;
  if ((reinterpret_cast<uintptr_t>(arena) & 3u) != 0 || arena_size < bd->arena_bytes) {
    return TINYML_RT_SCRATCH_TOO_SMALL;
  }
  return TINYML_RT_OK;
}

// Copies `input` into the arena and runs every operation; the output is left in the arena
// at the output tensor's offset, returned in *output.
tinyml_rt_status run(const tinyml_rt_bundle* bd, uint8_t* arena, const int8_t* input,
                     const int8_t** output) {
  int8_t* x0 = reinterpret_cast<int8_t*>(arena + tensor_offset(bd, b::rd32(bd->data + b::at(b::kInputTensor))));
  for (uint32_t i = 0; i < bd->input_bytes; ++i) x0[i] = input[i];
  const uint32_t ops = b::rd32(bd->data + b::at(b::kOpsOffset));
  for (uint32_t k = 0; k < bd->num_ops; ++k) {
    const b::Op op = b::read_op(bd->data, ops, k);
    const b::Params p = b::make_params(bd->data, op);
    const int8_t* x = reinterpret_cast<const int8_t*>(arena + tensor_offset(bd, op.input));
    const int8_t* x2 =
        op.kind == b::kAdd ? reinterpret_cast<const int8_t*>(arena + tensor_offset(bd, op.input2)) : nullptr;
    int8_t* y = reinterpret_cast<int8_t*>(arena + tensor_offset(bd, op.output));
    void* scratch = op.scratch_bytes > 0 ? arena + op.scratch_offset : nullptr;
    const tinyml_rt_status st = b::run_kernel(bd->data, op, p, x, x2, y, scratch);
    if (st != TINYML_RT_OK) return st;
  }
  *output = reinterpret_cast<const int8_t*>(arena + tensor_offset(bd, b::rd32(bd->data + b::at(b::kOutputTensor))));
  return TINYML_RT_OK;
}

}  // namespace

extern "C" {

tinyml_rt_status tinyml_rt_bundle_invoke(const tinyml_rt_bundle* bundle, void* arena, size_t arena_size,
                                         const int8_t* input, int8_t* output) {
  tinyml_rt_status st = arguments(bundle, arena, arena_size);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  const int8_t* y = nullptr;
  st = run(bundle, static_cast<uint8_t*>(arena), input, &y);
  if (st != TINYML_RT_OK) return st;
  for (uint32_t i = 0; i < bundle->output_bytes; ++i) output[i] = y[i];
  return TINYML_RT_OK;
}

tinyml_rt_status tinyml_rt_bundle_self_test(const tinyml_rt_bundle* bundle, void* arena, size_t arena_size) {
  tinyml_rt_status st = arguments(bundle, arena, arena_size);
  if (st != TINYML_RT_OK) return st;
  const int8_t* y = nullptr;
  st = run(bundle, static_cast<uint8_t*>(arena), bundle->self_test_input, &y);
  if (st != TINYML_RT_OK) return st;
  for (uint32_t i = 0; i < bundle->output_bytes; ++i) {
    if (y[i] != bundle->self_test_output[i]) return TINYML_RT_SELF_TEST_FAILED;
  }
  return TINYML_RT_OK;
}

}  // extern "C"
