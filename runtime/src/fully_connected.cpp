// FullyConnected, int8: TFLite's reference FullyConnected (per-tensor) and
// FullyConnectedPerChannel.
//   acc = bias[o] + sum over i of (filter[o][i] - filter_zp) * (input[b][i] - input_zp);
//   out[b][o] = requantize(acc, channel o, or channel 0 when per-tensor).
//
// portable: one output at a time. fast (the default on cores with the DSP extension): two
// filter rows at a time against the input row, 4 values per step unpacked to int16 lanes
// with their zero points subtracted, two dual multiply-accumulates per row and step; the
// depth % 4 values left over are added one by one. The sums are the same integers: the
// limit on the depth keeps the sum of products below 2^31 in magnitude, and the fast path
// starts from the bias and adds modulo 2^32 (as the instructions do), which gives the
// portable path's wrapped bias + sum.
#include "rt_dsp.hpp"
#include "rt_paths.hpp"

namespace {

void fc_portable(const tinyml_rt_fully_connected_params& p, int32_t batches, int32_t outs, int32_t depth,
                 const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t input_offset = -p.input_zero_point;
  const int32_t filter_offset = -p.filter_zero_point;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in = input + b * depth;
    for (int32_t o = 0; o < outs; ++o) {
      const int8_t* w = filter + o * depth;
      int32_t acc = 0;
      for (int32_t i = 0; i < depth; ++i) {
        acc += (static_cast<int32_t>(w[i]) + filter_offset) *
               (static_cast<int32_t>(in[i]) + input_offset);
      }
      if (bias != nullptr) acc = tinyml_rt::wrap_add(acc, bias[o]);
      output[b * outs + o] = tinyml_rt::requantize(acc, p.out, p.per_channel != 0 ? o : 0);
    }
  }
}

void fc_fast(const tinyml_rt_fully_connected_params& p, int32_t batches, int32_t outs, int32_t depth,
             const int8_t* input, const int8_t* filter, const int32_t* bias, int8_t* output) {
  using namespace tinyml_rt::dsp;
  const int32_t input_offset = -p.input_zero_point;
  const int32_t filter_offset = -p.filter_zero_point;
  const uint32_t x_offset = splat16(input_offset), w_offset = splat16(filter_offset);
  const int32_t groups = depth / 4, rest = depth % 4;
  const OutputClamp clamp = output_clamp(p.out);
  for (int32_t b = 0; b < batches; ++b) {
    int8_t* out = output + b * outs;
    for (int32_t o = 0; o < outs; o += 2) {
      const bool pair = o + 1 < outs;
      const int8_t* x = input + b * depth;
      const int8_t* wa = filter + o * depth;
      const int8_t* wb = pair ? wa + depth : wa;
      int32_t acc_a = bias != nullptr ? bias[o] : 0;
      int32_t acc_b = bias != nullptr && pair ? bias[o + 1] : 0;
      if (groups > 0) dot_1x2(x, wa, wb, groups, x_offset, w_offset, acc_a, acc_b);
      for (int32_t r = 0; r < rest; ++r) {
        const int32_t v = x[r] + input_offset;
        acc_a = tinyml_rt::wrap_add(acc_a, (wa[r] + filter_offset) * v);
        acc_b = tinyml_rt::wrap_add(acc_b, (wb[r] + filter_offset) * v);
      }
      const int32_t ca = p.per_channel != 0 ? o : 0, cb = p.per_channel != 0 ? o + 1 : 0;
      out[o] = requantize_fast<false>(acc_a, channel_requant(p.out, ca), clamp, p.out.shift[ca]);
      if (pair) out[o + 1] = requantize_fast<false>(acc_b, channel_requant(p.out, cb), clamp, p.out.shift[cb]);
    }
  }
}

// The kernel with its checks, on the portable (Fast = false) or the fast path.
template <bool Fast>
tinyml_rt_status run(const tinyml_rt_fully_connected_params* params, const tinyml_rt_shape* input_shape,
                     const int8_t* input, const tinyml_rt_shape* filter_shape, const int8_t* filter,
                     const int32_t* bias, const tinyml_rt_shape* output_shape, int8_t* output) {
  int32_t batches = 0;
  const tinyml_rt_status st =
      tinyml_rt::check_fully_connected(params, input_shape, filter_shape, output_shape, &batches);
  if (st != TINYML_RT_OK) return st;
  if (input == nullptr || filter == nullptr || output == nullptr) return TINYML_RT_NULL_POINTER;
  const int32_t outs = filter_shape->dims[0], depth = filter_shape->dims[1];
  if constexpr (Fast) {
    fc_fast(*params, batches, outs, depth, input, filter, bias, output);
  } else {
    fc_portable(*params, batches, outs, depth, input, filter, bias, output);
  }
  return TINYML_RT_OK;
}

}  // namespace

tinyml_rt::FullyConnectedKernel* const tinyml_rt::fully_connected_s8_portable = run<false>;
tinyml_rt::FullyConnectedKernel* const tinyml_rt::fully_connected_s8_fast = run<true>;

extern "C" {

size_t tinyml_rt_fully_connected_s8_scratch_size(const tinyml_rt_fully_connected_params*,
                                                 const tinyml_rt_shape*,
                                                 const tinyml_rt_shape*,
                                                 const tinyml_rt_shape*) {
  return 0;
}

tinyml_rt_status tinyml_rt_fully_connected_s8(const tinyml_rt_fully_connected_params* params,
                                              const tinyml_rt_shape* input_shape,
                                              const int8_t* input,
                                              const tinyml_rt_shape* filter_shape,
                                              const int8_t* filter, const int32_t* bias,
                                              const tinyml_rt_shape* output_shape,
                                              int8_t* output) {
  return run<TINYML_RT_FAST_PATHS != 0>(params, input_shape, input, filter_shape, filter, bias,
                                        output_shape, output);
}

}  // extern "C"
