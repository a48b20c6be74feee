#include "tinyml/optimize/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tinyml/error.hpp"

namespace tinyml::optimize {

QParams asymmetric_int8(float lo, float hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
    input_error("quantization range [{}, {}] is not a finite range", lo, hi);
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  QParams q;
  if (hi - lo <= 0) return q;
  q.scale = (hi - lo) / 255.0f;
  const double zp = -128.0 - static_cast<double>(lo) / static_cast<double>(q.scale);
  q.zero_point = static_cast<std::int32_t>(std::clamp(std::round(zp), -128.0, 127.0));
  return q;
}

std::vector<float> symmetric_weight_scales(std::span<const float> w, std::size_t channels, bool last_axis) {
  if (channels == 0 || w.size() % channels != 0)
    input_error("{} weights cannot be split into {} channels", w.size(), channels);
  std::vector<float> amax(channels, 0.0f);
  const std::size_t per = w.size() / channels;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t c = last_axis ? i % channels : i / per;
    amax[c] = std::max(amax[c], std::fabs(w[i]));
  }
  std::vector<float> s(channels);
  for (std::size_t c = 0; c < channels; ++c) s[c] = amax[c] > 0 ? amax[c] / 127.0f : 1.0f;
  return s;
}

QuantizedWeights quantize_weights(std::span<const float> w, std::size_t channels, bool last_axis) {
  QuantizedWeights r;
  r.scales = symmetric_weight_scales(w, channels, last_axis);
  r.q.resize(w.size());
  const std::size_t per = w.size() / channels;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::size_t c = last_axis ? i % channels : i / per;
    const double v = std::round(static_cast<double>(w[i]) / r.scales[c]);
    r.q[i] = static_cast<std::int8_t>(std::clamp(v, -127.0, 127.0));
  }
  return r;
}

std::vector<std::int32_t> quantize_bias(std::span<const float> b, float input_scale, std::span<const float> weight_scales) {
  if (b.size() != weight_scales.size())
    input_error("{} biases but {} weight scales", b.size(), weight_scales.size());
  std::vector<std::int32_t> q(b.size());
  for (std::size_t c = 0; c < b.size(); ++c) {
    const double s = static_cast<double>(input_scale) * weight_scales[c];
    if (!(s > 0)) input_error("bias {}: scale {} is not positive", c, s);
    const double v = std::round(static_cast<double>(b[c]) / s);
    q[c] = static_cast<std::int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
  }
  return q;
}

RangeMethod parse_range_method(std::string_view s) {
  if (s == "minmax") return RangeMethod::MinMax;
  if (s == "percentile") return RangeMethod::Percentile;
  if (s == "mse") return RangeMethod::Mse;
  input_error("calibration method '{}' is not valid: expected minmax, percentile or mse", s);
}

std::string_view to_string(RangeMethod m) {
  switch (m) {
    case RangeMethod::MinMax: return "minmax";
    case RangeMethod::Percentile: return "percentile";
    case RangeMethod::Mse: return "mse";
  }
  return "?";
}

void RangeObserver::add_range(std::span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) continue;
    if (!seen_) {
      lo_ = hi_ = x;
      seen_ = true;
    }
    lo_ = std::min(lo_, x);
    hi_ = std::max(hi_, x);
  }
}

void RangeObserver::add_histogram(std::span<const float> v) {
  if (hist_.empty()) hist_.assign(kBins, 0);
  const double width = static_cast<double>(hi_) - lo_;
  for (float x : v) {
    if (!std::isfinite(x)) continue;
    std::size_t b = 0;
    if (width > 0) {
      const double f = (static_cast<double>(x) - lo_) / width * static_cast<double>(kBins);
      b = static_cast<std::size_t>(std::clamp(f, 0.0, static_cast<double>(kBins - 1)));
    }
    ++hist_[b];
    ++count_;
  }
}

float RangeObserver::bin_center(std::size_t b) const {
  const double width = (static_cast<double>(hi_) - lo_) / static_cast<double>(kBins);
  return static_cast<float>(lo_ + (static_cast<double>(b) + 0.5) * width);
}

double RangeObserver::expected_error(float lo, float hi) const {
  if (count_ == 0) return 0;
  const double step = (static_cast<double>(hi) - lo) / 255.0;
  const double in_range = step * step / 12.0;
  double err = 0;
  for (std::size_t b = 0; b < hist_.size(); ++b) {
    if (hist_[b] == 0) continue;
    const double x = bin_center(b);
    double e = in_range;
    if (x < lo) e = (lo - x) * (lo - x);
    if (x > hi) e = (x - hi) * (x - hi);
    err += e * static_cast<double>(hist_[b]);
  }
  return err / static_cast<double>(count_);
}

std::pair<float, float> RangeObserver::choose(RangeMethod m, double percentile) const {
  const float lo = std::min(lo_, 0.0f), hi = std::max(hi_, 0.0f);
  if (m == RangeMethod::MinMax || count_ == 0 || hi_ <= lo_) return {lo, hi};
  if (m == RangeMethod::Percentile) {
    if (!(percentile > 50 && percentile <= 100)) input_error("percentile {} is not in (50, 100]", percentile);
    const double tail = (100.0 - percentile) / 100.0 * static_cast<double>(count_);
    // The lowest bin whose cumulative count exceeds the tail, and the highest likewise.
    std::uint64_t acc = 0;
    std::size_t first = 0, last = hist_.size() - 1;
    for (std::size_t b = 0; b < hist_.size(); ++b) {
      acc += hist_[b];
      if (static_cast<double>(acc) > tail) {
        first = b;
        break;
      }
    }
    acc = 0;
    for (std::size_t b = hist_.size(); b-- > 0;) {
      acc += hist_[b];
      if (static_cast<double>(acc) > tail) {
        last = b;
        break;
      }
    }
    const double width = (static_cast<double>(hi_) - lo_) / static_cast<double>(kBins);
    const float plo = static_cast<float>(lo_ + static_cast<double>(first) * width);
    const float phi = static_cast<float>(lo_ + static_cast<double>(last + 1) * width);
    return {std::min(plo, 0.0f), std::max(phi, 0.0f)};
  }
  // Mse: each end independently, over bin edges (at most 256 candidates a side), with
  // prefix sums so each candidate pair costs O(1): below lo the error is
  // sum c (lo - x)^2 = lo^2 C - 2 lo S1 + S2, above hi likewise, inside count * step^2 / 12.
  const std::size_t B = hist_.size();
  std::vector<double> C(B + 1, 0), S1(B + 1, 0), S2(B + 1, 0);
  for (std::size_t k = 0; k < B; ++k) {
    const double x = bin_center(k), c = static_cast<double>(hist_[k]);
    C[k + 1] = C[k] + c;
    S1[k + 1] = S1[k] + c * x;
    S2[k + 1] = S2[k] + c * x * x;
  }
  const double width = (static_cast<double>(hi_) - lo_) / static_cast<double>(B);
  auto edge = [&](std::size_t k) { return lo_ + static_cast<double>(k) * width; };
  // The edge at or below 0 and the one at or above it bound the searches.
  std::size_t zero = 0;
  while (zero < B && edge(zero + 1) <= 0) ++zero;
  const std::size_t lo_step = std::max<std::size_t>(1, (zero + 255) / 256);
  const std::size_t hi_step = std::max<std::size_t>(1, (B - zero + 255) / 256);
  double best = std::numeric_limits<double>::infinity();
  std::pair<float, float> r{lo, hi};
  for (std::size_t i = 0; i <= zero; i += lo_step) {
    const double L = std::min(edge(i), 0.0);
    const double left = L * L * C[i] - 2 * L * S1[i] + S2[i];
    for (std::size_t j = B; j > zero; j -= std::min(hi_step, j - zero)) {
      const double H = std::max(edge(j), 0.0);
      const double cr = C[B] - C[j], s1 = S1[B] - S1[j], s2 = S2[B] - S2[j];
      const double right = s2 - 2 * H * s1 + H * H * cr;
      const double step = (H - L) / 255.0;
      const double e = left + right + (C[j] - C[i]) * step * step / 12.0;
      if (e < best) {
        best = e;
        r = {static_cast<float>(L), static_cast<float>(H)};
      }
    }
  }
  return r;
}

std::vector<RangeObserver> observe(nn::Model& m, const data::Dataset& d, std::size_t max_samples) {
  if (d.size() == 0) input_error("calibration needs at least one sample");
  const std::size_t n = std::min(std::max<std::size_t>(max_samples, 1), d.size());
  const std::size_t ss = d.sample_size();
  std::vector<RangeObserver> obs(m.layers.size() + 1);
  constexpr std::size_t kBatch = 256;
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t b = 0; b < n; b += kBatch) {
      const std::size_t e = std::min(n, b + kBatch);
      nn::Tensor x;
      x.resize(static_cast<int>(e - b), m.input_shape);
      for (std::size_t i = b; i < e; ++i) {
        const std::size_t src = i * d.size() / n;  // evenly over the whole set
        std::copy_n(d.x.begin() + static_cast<long>(src * ss), ss, x.v.begin() + static_cast<long>((i - b) * ss));
      }
      m.forward(x, false);
      for (std::size_t k = 0; k < obs.size(); ++k) {
        const auto& v = m.activation(k).v;
        if (pass == 0)
          obs[k].add_range(v);
        else
          obs[k].add_histogram(v);
      }
    }
  }
  return obs;
}

}  // namespace tinyml::optimize
