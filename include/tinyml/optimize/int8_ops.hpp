// The runtime's view of an Int8Model's operation: the parameter and shape structs of
// runtime/include/tinyml_rt.h, prepared once from the model. This is the one place where
// they are built: run_int8, the memory planner (scratch sizes), the bundle writer and the
// code generator all take them from here, so the device runs what the host ran.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tinyml/optimize/int8_model.hpp"
#include "tinyml_rt.h"

namespace tinyml::optimize {

// A per-sample tensor shape as the runtime reads it: feature maps [h, w, c] as
// [1][h][w][c], 1-D signals [w, c] as [1][1][w][c], vectors [n] as [1][n].
tinyml_rt_shape runtime_shape(const std::vector<int>& shape);
tinyml_rt_activation runtime_activation(Fused f);

// Failure naming the operation (its kind and the float layer it came from) when a runtime
// call returned an error.
void check_status(tinyml_rt_status s, const Int8Op& op, const char* what);

// The kernel call of one operation. Only the struct of the operation's kind is
// meaningful. The requantization blocks point into the operation's multipliers and
// shifts: valid while the model is alive and unchanged.
struct RtOp {
  OpKind kind = OpKind::Reshape;
  // The shapes passed to the kernel. Fully connected layers see their input flattened to
  // [1][in] and their output as [1][out]; `filter` is the weight shape (weight layers).
  tinyml_rt_shape input{}, input2{}, output{}, filter{};
  tinyml_rt_conv2d_params conv{};
  tinyml_rt_depthwise_conv2d_params depthwise{};
  tinyml_rt_fully_connected_params fc{};
  tinyml_rt_pool2d_params pool{};
  tinyml_rt_mean_params mean{};
  tinyml_rt_add_params add{};
  tinyml_rt_q4_activation_params q4{};  // Logistic and Tanh
};

// Prepares operation k of m (the runtime's float preparation helpers run here for Mean,
// Add, Logistic and Tanh). Failure naming the operation when a helper refuses or the
// weights do not fit the tensors.
RtOp prepare_op(const Int8Model& m, std::size_t k);
// The scratch bytes the operation's kernel asks for (its _scratch_size() companion).
std::size_t scratch_size(const RtOp& p);
// Runs one operation: x is its input, x2 its second input (Add only, else ignored), y its
// output; weights and biases come from `op`. scratch: scratch_size(p) bytes, 4-byte
// aligned. Failure naming the operation when the kernel returns an error.
void run_op(const Int8Op& op, const RtOp& p, const std::int8_t* x, const std::int8_t* x2, std::int8_t* y,
            void* scratch, std::size_t scratch_bytes);

}  // namespace tinyml::optimize
