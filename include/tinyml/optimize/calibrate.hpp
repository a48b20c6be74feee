// Calibration for int8 quantization: the ranges of a model's activations observed on a
// representative subset, the choice of the range to quantize with (min/max, percentile,
// or the one that minimizes the expected quantization error), and the int8 parameters of
// TFLite's quantization specification: asymmetric per-tensor activations, symmetric
// per-channel weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "tinyml/data/dataset.hpp"
#include "tinyml/nn/model.hpp"

namespace tinyml::optimize {

// real = scale * (q - zero_point), q in [-128, 127].
struct QParams {
  float scale = 1.0f;
  std::int32_t zero_point = 0;
};

// The asymmetric int8 parameters for the real range [lo, hi], widened to hold 0 (so that
// zero, and with it padding and ReLU's floor, is exact): scale = (hi - lo) / 255 and the
// zero point -128 - lo / scale rounded to the nearest integer and clamped to [-128, 127].
// An empty range (lo == hi == 0) gets scale 1, zero point 0.
QParams asymmetric_int8(float lo, float hi);

// Symmetric per-channel weight scales max|w| / 127 for a weight array whose `channels`
// output channels each own a contiguous run of w.size() / channels values (the layout of
// conv [out][kh][kw][in] and dense [out][in]); a channel of zeros gets scale 1. With
// `last_axis` the channel is the fastest axis instead (depthwise [kh][kw][channels]).
std::vector<float> symmetric_weight_scales(std::span<const float> w, std::size_t channels, bool last_axis = false);

// Weights quantized per output channel: q = round(w / scale[c]) clamped to [-127, 127]
// (symmetric: -128 is not used), with the channel layout of symmetric_weight_scales.
struct QuantizedWeights {
  std::vector<std::int8_t> q;
  std::vector<float> scales;
};
QuantizedWeights quantize_weights(std::span<const float> w, std::size_t channels, bool last_axis = false);

// A bias in int32 for an input scale and per-channel weight scales:
// round(b[c] / (input_scale * weight_scale[c])), saturated to the int32 range.
std::vector<std::int32_t> quantize_bias(std::span<const float> b, float input_scale, std::span<const float> weight_scales);

enum class RangeMethod { MinMax, Percentile, Mse };
RangeMethod parse_range_method(std::string_view s);  // minmax | percentile | mse
std::string_view to_string(RangeMethod m);

// The values one tensor took during calibration: exact min and max, then (second pass,
// once the range is known) a histogram of kBins bins over [min, max].
class RangeObserver {
 public:
  static constexpr std::size_t kBins = 2048;
  void add_range(std::span<const float> v);  // pass 1
  void add_histogram(std::span<const float> v);  // pass 2
  float min() const { return lo_; }
  float max() const { return hi_; }
  std::uint64_t count() const { return count_; }
  const std::vector<std::uint64_t>& histogram() const { return hist_; }

  // The range to quantize with, always holding 0:
  //  MinMax: [min, max];
  //  Percentile: the `percentile` and 100 - `percentile` percentiles of the histogram
  //    (e.g. 99.99 keeps all but the 0.01% most extreme values at each end);
  //  Mse: the [lo, hi] that minimizes the expected squared error of int8 quantization
  //    over the histogram (clipping error outside the range, step^2 / 12 inside), each
  //    end searched over the histogram's bin edges (at most 256 a side).
  std::pair<float, float> choose(RangeMethod m, double percentile = 99.99) const;

  // The expected squared error per value of quantizing this histogram with the range
  // [lo, hi] (255 steps).
  double expected_error(float lo, float hi) const;

 private:
  float lo_ = 0, hi_ = 0;
  bool seen_ = false;
  std::uint64_t count_ = 0;
  std::vector<std::uint64_t> hist_;
  float bin_center(std::size_t b) const;
};

// Runs the model (inference mode) over up to `max_samples` samples of `d`, taken evenly,
// in two passes, and returns one observer per node: [0] the model input, [i + 1] the
// output of layer i.
std::vector<RangeObserver> observe(nn::Model& m, const data::Dataset& d, std::size_t max_samples = 1000);

}  // namespace tinyml::optimize
