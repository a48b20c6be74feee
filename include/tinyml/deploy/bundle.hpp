// The model bundle: one int8 model as a versioned binary the device runtime checks and runs
// in place (runtime/include/tinyml_rt_bundle.h), for firmware images and over-the-air
// updates (runtime/include/tinyml_rt_slots.h). The layout, field by field, is
// docs/bundle.md: fixed-layout little-endian records (no JSON, no heap on the device), the
// operations with their prepared parameters and shapes, the tensors' arena offsets from a
// memory plan, int8 weights (dense or bitmask-sparse rows), int32 biases, multipliers and
// shifts (4-byte aligned, read in place by the kernels), the input quantization with the
// data stage's normalization folded in, thresholds, class names, a self-test computed
// here by run_int8, and a CRC-32 over everything.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinyml/deploy/memory_plan.hpp"
#include "tinyml/optimize/int8_file.hpp"

namespace tinyml::deploy {

// The layout written here: the runtime's TINYML_RT_BUNDLE_FORMAT_VERSION.
inline constexpr std::uint32_t kBundleFormatVersion = 1;

struct BundleOptions {
  std::uint32_t model_version = 0;     // the caller's number for this model (the device reports it)
  std::vector<float> self_test_input;  // one raw sample (as run_int8 takes it); empty: a fixed int8 pattern
  std::vector<float> thresholds;       // e.g. anomaly thresholds; empty: none
};

// Writes the bundle of `f`'s model laid out by `p`. The self-test's expected output is
// run_int8's (run_int8_quantized's for the fixed pattern). Before returning, the bundle is
// checked by the runtime's own tinyml_rt_bundle_check and its self-test run by the
// runtime's interpreter in an arena of exactly p.arena_bytes, so the host never hands out
// a bundle the device would refuse. Failure when the plan does not fit the model
// (check_plan), the model has no input quantization, a self-test input has the wrong size,
// or the runtime refuses the result (naming what it refused).
std::string make_bundle(const optimize::Int8File& f, const MemoryPlan& p, const BundleOptions& o = {});

}  // namespace tinyml::deploy
