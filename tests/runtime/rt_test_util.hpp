// Shared helpers of the runtime tests: shapes, random data, the float reference's
// quantization and the "within one quantization step" comparison.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include "tinyml_rt.h"

namespace rt_test {

inline tinyml_rt_shape shape(std::initializer_list<int32_t> dims) {
  tinyml_rt_shape s{};
  s.rank = static_cast<int32_t>(dims.size());
  int32_t d = 0;
  for (int32_t v : dims) s.dims[d++] = v;
  return s;
}

inline size_t count(const tinyml_rt_shape& s) {
  size_t n = 1;
  for (int32_t d = 0; d < s.rank; ++d) n *= static_cast<size_t>(s.dims[d]);
  return n;
}

class Rng {
 public:
  explicit Rng(std::uint32_t seed) : gen_(seed) {}
  int32_t uniform(int32_t lo, int32_t hi) {  // inclusive
    return std::uniform_int_distribution<int32_t>(lo, hi)(gen_);
  }
  double real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen_); }
  float scale(float lo, float hi) { return static_cast<float>(real(lo, hi)); }
  std::vector<int8_t> int8s(size_t n, int32_t lo = -128, int32_t hi = 127) {
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(uniform(lo, hi));
    return v;
  }

 private:
  std::mt19937 gen_;
};

// round(real / scale) + zero_point, clamped to [lo, hi]: the float reference's output.
inline int32_t quantize_ref(double real, double scale, int32_t zero_point, int32_t lo = -128,
                            int32_t hi = 127) {
  const double q = std::clamp(std::round(real / scale), -1e6, 1e6) + zero_point;
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(lo), static_cast<double>(hi)));
}

inline double dequantize_ref(int32_t q, double scale, int32_t zero_point) {
  return scale * (q - zero_point);
}

// An output quantization that spreads `reals` over the int8 range.
struct OutQuant {
  float scale;
  int32_t zero_point;
};
inline OutQuant pick_output_quant(const std::vector<double>& reals) {
  double lo = 0.0, hi = 0.0;
  for (double r : reals) {
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  const double scale = std::max((hi - lo) / 255.0, 1e-6);
  const auto zp = static_cast<int32_t>(std::clamp(std::round(-128.0 - lo / scale), -128.0, 127.0));
  return {static_cast<float>(scale), zp};
}

// A random fused activation, as the clamp the kernels take.
inline void random_activation(Rng& rng, OutQuant q, int32_t* act_min, int32_t* act_max) {
  const auto act = static_cast<tinyml_rt_activation>(rng.uniform(0, 2));
  ASSERT_EQ(tinyml_rt_activation_range(act, q.scale, q.zero_point, act_min, act_max),
            TINYML_RT_OK);
}

// Every value within one step of the reference; returns how many differ at all.
inline int expect_within_one(const std::vector<int8_t>& got, const std::vector<int32_t>& want) {
  EXPECT_EQ(got.size(), want.size());
  int off = 0;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i) {
    EXPECT_LE(std::abs(got[i] - want[i]), 1) << "at " << i << ": got " << int{got[i]}
                                               << ", reference " << want[i];
    off += got[i] != want[i];
  }
  return off;
}

// How many of `v` lie strictly inside (lo, hi): guards a random test against passing on
// outputs that are all clamped.
inline size_t unclamped(const std::vector<int32_t>& v, int32_t lo = -128, int32_t hi = 127) {
  return static_cast<size_t>(
      std::count_if(v.begin(), v.end(), [&](int32_t x) { return x > lo && x < hi; }));
}

// Exactly `bytes` of scratch (the kernels' scratch is int32 words), 4-byte aligned, so
// ASan reports any use past what _scratch_size() promised.
struct Scratch {
  explicit Scratch(size_t bytes) : words(bytes / 4), size(bytes) { EXPECT_EQ(bytes % 4, 0u); }
  void* data() { return size == 0 ? nullptr : words.data(); }
  std::vector<int32_t> words;
  size_t size;
};

}  // namespace rt_test
