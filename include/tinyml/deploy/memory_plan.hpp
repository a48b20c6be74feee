// The memory plan of an int8 model: where each activation tensor and each operation's
// scratch lives in one arena, chosen to make the arena (the peak) small.
//
// Lifetimes follow the execution order (the operations in order): a tensor lives from the
// operation writing it (the model input from the start) to the last operation reading it;
// the model output lives to the end. Two blocks whose lifetimes meet get disjoint bytes,
// with two exceptions, both safe because every tensor is written once:
// - a Reshape's output shares its input's block (same bytes, same offset). The code that
//   runs the plan skips the copy when the two offsets are equal (tinyml_rt_reshape_s8 does
//   nothing when input == output);
// - an element-wise operation (Add, Logistic, Tanh) may write over an input that dies at
//   that operation and has the output's shape (not broadcast): these kernels read element
//   i before writing element i and never read an element after writing it.
// The model input is never overwritten unless PlanOptions::reuse_input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/optimize/int8_model.hpp"

namespace tinyml::deploy {

struct PlanOptions {
  bool reuse_input = false;    // false: the model input stays intact for the whole run
  std::size_t alignment = 16;  // every block starts at a multiple of this
};

struct MemoryPlan {
  static constexpr std::size_t kUnused = static_cast<std::size_t>(-1);
  std::vector<std::size_t> tensor_offset;   // per Int8Model tensor; kUnused for tensors no op reads or writes
  std::vector<std::size_t> scratch_offset;  // per op; meaningful where scratch_bytes[k] > 0
  std::vector<std::size_t> scratch_bytes;   // per op, from the runtime's _scratch_size() companions
  std::size_t arena_bytes = 0;   // the peak = the arena the generated code declares
  std::size_t naive_bytes = 0;   // every tensor and scratch in its own block (no reuse)
  std::size_t greedy_bytes = 0;  // greedy by size (largest first, first fit), for the report
  std::string strategy;          // the order/heuristic that won
};

// Tries several placement orders (by size, lifetime length, first use, size x lifetime,
// the busiest moment of a block's life) with first-fit and best-fit placement, with and
// without writing element-wise outputs over their inputs, improves the best by a short
// deterministic local search over the order, and keeps the smallest peak. The result is
// never worse than greedy_bytes, which is one of the candidates. Failure for a model whose
// operations read a tensor before it is written or write one twice.
MemoryPlan plan_memory(const optimize::Int8Model& m, const PlanOptions& o = {});

// Throws (tinyml failure) naming the two blocks when two blocks that are live at the same
// time overlap, or a block runs past arena_bytes. Used by tests and by the code generator
// as a final check. It checks what the run needs (the model input counts as live until its
// last reader), not the PlanOptions policy; the allowed overlaps are the two above (equal
// offsets only). It also refuses a plan whose vectors do not match the model, a used tensor
// without an offset, scratch smaller than the kernel asks for or not 4-byte aligned.
void check_plan(const optimize::Int8Model& m, const MemoryPlan& p);

// The scratch bytes operation `op` needs: its kernel's _scratch_size() companion called
// with the parameter structs run_int8 passes (optimize::prepare_op).
std::size_t op_scratch_bytes(const optimize::Int8Model& m, std::size_t op);

// Runs one raw sample (sensor readings, as run_int8 takes them) through the model as a
// device does: every tensor and scratch at its planned offset in `arena` (p.arena_bytes
// bytes, 4-byte aligned, nothing else is touched); Reshapes with equal offsets copy
// nothing. Returns the output tensor's int8 values, equal to run_int8's.
std::vector<std::int8_t> run_int8_in_arena(const optimize::Int8Model& m, const MemoryPlan& p,
                                           const float* raw_sample, std::uint8_t* arena);

}  // namespace tinyml::deploy
