// The two computations of each kernel that has a fast path, for the tests: `_portable`
// runs the reference loops, `_fast` the restructured loops of rt_dsp.hpp (DSP instructions
// on cores that have them, their plain C++ equivalents elsewhere). Both take the public
// function's arguments and make its checks; the public tinyml_rt_<kernel> runs the core's
// default (TINYML_RT_FAST_PATHS). The outputs are identical bit for bit.
//
// They are constant pointers (no code of their own): a firmware that calls only the
// public functions links only the path they take (with --gc-sections).
#ifndef TINYML_RT_PATHS_HPP
#define TINYML_RT_PATHS_HPP

#include "tinyml_rt.h"

namespace tinyml_rt {

using Conv2dKernel = decltype(tinyml_rt_conv2d_s8);
using FullyConnectedKernel = decltype(tinyml_rt_fully_connected_s8);
using MaxPoolKernel = decltype(tinyml_rt_max_pool2d_s8);
using DepthwiseConv2dKernel = decltype(tinyml_rt_depthwise_conv2d_s8);

extern Conv2dKernel* const conv2d_s8_portable;
extern Conv2dKernel* const conv2d_s8_fast;
extern FullyConnectedKernel* const fully_connected_s8_portable;
extern FullyConnectedKernel* const fully_connected_s8_fast;
extern MaxPoolKernel* const max_pool2d_s8_portable;
extern MaxPoolKernel* const max_pool2d_s8_fast;

}  // namespace tinyml_rt

#endif  // TINYML_RT_PATHS_HPP
