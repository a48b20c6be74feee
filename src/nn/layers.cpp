#include "tinyml/nn/layers.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/nn/gemm.hpp"
#include "tinyml/nn/parallel.hpp"

namespace tinyml::nn {

std::string to_string(const Shape& s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

std::size_t numel(const Shape& s) {
  std::size_t n = 1;
  for (int d : s) n *= static_cast<std::size_t>(d);
  return n;
}

int conv_out_size(int in, int k, int stride, int dil, Padding p, int* pad_before) {
  int span = dil * (k - 1) + 1;
  if (p == Padding::Valid) {
    if (pad_before) *pad_before = 0;
    return in >= span ? (in - span) / stride + 1 : 0;
  }
  int out = (in + stride - 1) / stride;
  int total = std::max((out - 1) * stride + span - in, 0);
  if (pad_before) *pad_before = total / 2;
  return out;
}

namespace {

float uniform(data::Rng& rng, float lim) {
  double u = static_cast<double>(rng.next() >> 11) * (1.0 / 9007199254740992.0);  // [0, 1)
  return static_cast<float>((2.0 * u - 1.0) * lim);
}

// He-uniform initialization (suits ReLU networks): U(-sqrt(6 / fan_in), +sqrt(6 / fan_in)).
void init_weights(Param& p, std::size_t count, std::size_t fan_in, data::Rng& rng) {
  p.w.resize(count);
  p.g.assign(count, 0.0f);
  float lim = std::sqrt(6.0f / static_cast<float>(std::max<std::size_t>(fan_in, 1)));
  for (auto& w : p.w) w = uniform(rng, lim);
}

void init_const(Param& p, std::size_t count, float v) {
  p.w.assign(count, v);
  p.g.assign(count, 0.0f);
}

// [H, W, C] from a per-sample shape of rank 3, or [1, W, C] from rank 2 for 1-D layers.
void hwc(const Shape& in, bool one_d, const std::string& layer, int& h, int& w, int& c) {
  if (one_d && in.size() == 2) {
    h = 1;
    w = in[0];
    c = in[1];
  } else if (in.size() == 3 && (!one_d || in[0] == 1)) {
    h = in[0];
    w = in[1];
    c = in[2];
  } else {
    input_error("{}: input shape {} does not fit: expected {}", layer, to_string(in),
                one_d ? "[width, channels]" : "[height, width, channels]");
  }
}

Shape out_hwc(bool one_d, int h, int w, int c) {
  return one_d ? Shape{w, c} : Shape{h, w, c};
}

// Copies a short run of floats without a library call (im2col copies a few values at a
// time: a call per run would cost more than the copy).
inline void copy_run(const float* src, std::size_t n, float* dst) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) std::memcpy(dst + i, src + i, 8 * sizeof(float));
  if (n & 4) {
    std::memcpy(dst + i, src + i, 4 * sizeof(float));
    i += 4;
  }
  if (n & 2) {
    std::memcpy(dst + i, src + i, 2 * sizeof(float));
    i += 2;
  }
  if (n & 1) dst[i] = src[i];
}

// Each of `rows` rows of out (bias.size() values each) set to the bias.
void fill_rows(float* out, std::size_t rows, const std::vector<float>& bias) {
  const std::size_t n = bias.size();
  for (std::size_t r = 0; r < rows; ++r) copy_run(bias.data(), n, out + r * n);
}

// Calls f(tap, iy, ix) for each kernel tap (ky, kx) of output (oy, ox) that falls inside
// the H x W input, with tap = ky * kw + kx.
template <typename F>
inline void for_each_tap(const ConvSpec& s, int pt, int pl, int H, int W, int oy, int ox, F&& f) {
  for (int ky = 0; ky < s.kh; ++ky) {
    const int iy = oy * s.stride_h - pt + ky * s.dil_h;
    if (iy < 0 || iy >= H) continue;
    for (int kx = 0; kx < s.kw; ++kx) {
      const int ix = ox * s.stride_w - pl + kx * s.dil_w;
      if (ix < 0 || ix >= W) continue;
      f(ky * s.kw + kx, iy, ix);
    }
  }
}

// Elementwise work on [0, n) split over the threads.
constexpr std::size_t kMinElements = 1 << 14;

// Runs fn(begin, end, weight_grad, bias_grad) over the chunks of samples [0, n). Chunk 0
// adds into the parameters' own gradients, the others into zeroed copies that are then
// added in chunk order, so the sums do not depend on which thread ran which chunk.
void per_chunk_grads(std::array<Param*, 2> ps, std::size_t n, std::size_t min_per_chunk,
                     const std::function<void(std::size_t, std::size_t, std::vector<float>&, std::vector<float>&)>& fn) {
  std::vector<std::array<std::vector<float>, 2>> extra(kMaxChunks);
  const int chunks = parallel_for(n, min_per_chunk, [&](int k, std::size_t b, std::size_t e) {
    if (k == 0) {
      fn(b, e, ps[0]->g, ps[1]->g);
      return;
    }
    auto& mine = extra[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < 2; ++i) mine[i].assign(ps[i]->g.size(), 0.0f);
    fn(b, e, mine[0], mine[1]);
  });
  for (int k = 1; k < chunks; ++k)
    for (std::size_t i = 0; i < 2; ++i) {
      const auto& part = extra[static_cast<std::size_t>(k)][i];
      auto& g = ps[i]->g;
      for (std::size_t j = 0; j < g.size(); ++j) g[j] += part[j];
    }
}

}  // namespace

// ---------------------------------------------------------------- Dense

Shape Dense::build(const Shape& in, data::Rng& rng) {
  if (units_ <= 0) input_error("dense: units must be at least 1, got {}", units_);
  in_shape = in;
  inputs_ = static_cast<int>(numel(in));
  init_weights(w_, static_cast<std::size_t>(units_) * inputs_, static_cast<std::size_t>(inputs_), rng);
  init_const(b_, static_cast<std::size_t>(units_), 0.0f);
  out_shape = {units_};
  return out_shape;
}

void Dense::forward(const Tensor& x, Tensor& y, bool) {
  y.reshape_for(x.n, out_shape);
  const int D = inputs_, U = units_;
  // Y[N, U] = b, then Y += X[N, D] W^T
  fill_rows(y.v.data(), static_cast<std::size_t>(x.n), b_.w);
  gemm_rows(true, x.n, U, D, x.v.data(), D, w_.w.data(), D, 1.0f, y.v.data(), U);
}

void Dense::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  dx.reshape_for(x.n, x.shape);
  const int D = inputs_, U = units_;
  column_sums(x.n, U, dy.v.data(), b_.g.data());
  // dW[U, D] += dY^T X; dX[N, D] = dY W
  gemm_sum_rows(U, D, x.n, dy.v.data(), U, x.v.data(), D, w_.g.data(), D);
  if (input_grad) gemm_rows(false, x.n, D, U, dy.v.data(), U, w_.w.data(), D, 0.0f, dx.v.data(), D);
}

std::uint64_t Dense::macs() const { return static_cast<std::uint64_t>(units_) * inputs_; }
std::string Dense::describe() const { return fmt::format("dense {} units", units_); }

// ---------------------------------------------------------------- Conv2D

Shape Conv2D::build(const Shape& in, data::Rng& rng) {
  const std::string name = kind();
  if (s_.filters <= 0 || s_.kh <= 0 || s_.kw <= 0 || s_.stride_h <= 0 || s_.stride_w <= 0 ||
      s_.dil_h <= 0 || s_.dil_w <= 0)
    input_error("{}: filters, kernel size, stride and dilation must be at least 1", name);
  int h, w, c;
  hwc(in, one_d_, name, h, w, c);
  in_shape = in;
  int oh = conv_out_size(h, s_.kh, s_.stride_h, s_.dil_h, s_.padding, &pt_);
  int ow = conv_out_size(w, s_.kw, s_.stride_w, s_.dil_w, s_.padding, &pl_);
  if (oh <= 0 || ow <= 0)
    input_error("{}: kernel {}x{} (dilation {}) does not fit the input {} with 'valid' padding",
                name, s_.kh, s_.kw, s_.dil_w, to_string(in));
  std::size_t fan_in = static_cast<std::size_t>(s_.kh) * s_.kw * c;
  init_weights(w_, static_cast<std::size_t>(s_.filters) * fan_in, fan_in, rng);
  init_const(b_, static_cast<std::size_t>(s_.filters), 0.0f);
  out_shape = out_hwc(one_d_, oh, ow, s_.filters);
  return out_shape;
}

bool Conv2D::pointwise() const { return s_.kh == 1 && s_.kw == 1 && s_.stride_h == 1 && s_.stride_w == 1; }

// The patches of a convolution as rows of a matrix: row (n, oy, ox), column (ky, kx, c),
// zero where the patch reaches into the padding.
void Conv2D::im2col(const Tensor& x, std::size_t n0, std::size_t n1, float* cols) const {
  int H0, W0, C0, OH0, OW0, F0;
  hwc(in_shape, one_d_, kind(), H0, W0, C0);
  hwc(out_shape, one_d_, kind(), OH0, OW0, F0);
  // Locals, so that the stores below cannot be taken to change them.
  const int H = H0, W = W0, C = C0, OH = OH0, OW = OW0, kh = s_.kh, kw = s_.kw, sh = s_.stride_h,
            sw = s_.stride_w, dh = s_.dil_h, dw = s_.dil_w, pt = pt_, pl = pl_;
  const std::size_t K = static_cast<std::size_t>(kh) * kw * C, run = static_cast<std::size_t>(kw) * C;
  const float* xv = x.v.data();
  for (std::size_t n = n0; n < n1; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float* row = cols + ((n * OH + oy) * OW + ox) * K;
        const int ix0 = ox * sw - pl;
        const bool inside_x = dw == 1 && ix0 >= 0 && ix0 + kw <= W;
        for (int ky = 0; ky < kh; ++ky) {
          const int iy = oy * sh - pt + ky * dh;
          float* dst = row + static_cast<std::size_t>(ky) * run;
          if (iy < 0 || iy >= H) {
            std::fill_n(dst, run, 0.0f);
            continue;
          }
          const float* src = xv + (n * H + iy) * W * C;
          if (inside_x) {  // the whole kernel row is inside: one run
            copy_run(src + static_cast<std::size_t>(ix0) * C, run, dst);
            continue;
          }
          for (int kx = 0; kx < kw; ++kx) {
            const int ix = ix0 + kx * dw;
            if (ix < 0 || ix >= W)
              std::fill_n(dst + static_cast<std::size_t>(kx) * C, C, 0.0f);
            else
              copy_run(src + static_cast<std::size_t>(ix) * C, static_cast<std::size_t>(C),
                       dst + static_cast<std::size_t>(kx) * C);
          }
        }
      }
}

void Conv2D::forward(const Tensor& x, Tensor& y, bool) {
  y.reshape_for(x.n, out_shape);
  const int F = s_.filters;
  const int K = static_cast<int>(w_.w.size()) / F;
  const std::size_t per_sample = numel(out_shape) / static_cast<std::size_t>(F);  // output rows per sample
  const bool direct = pointwise();
  if (!direct) cols_.resize(static_cast<std::size_t>(x.n) * per_sample * static_cast<std::size_t>(K));
  cols_of_ = x.v.data();  // backward reuses the patches when it gets the same input
  cols_n_ = x.n;
  // Each thread: the patches of its samples, Y rows = b, Y[rows, F] += patches[rows, K] W^T.
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    const std::size_t r0 = n0 * per_sample, rows = (n1 - n0) * per_sample;
    const float* a = direct ? x.v.data() : cols_.data();
    if (!direct) im2col(x, n0, n1, cols_.data());
    float* out = y.v.data() + r0 * static_cast<std::size_t>(F);
    fill_rows(out, rows, b_.w);
    gemm(false, true, static_cast<int>(rows), F, K, 1.0f, a + r0 * static_cast<std::size_t>(K), K, w_.w.data(), K,
         1.0f, out, F);
  });
}

void Conv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  int H, W, C, OH, OW, F;
  hwc(in_shape, one_d_, kind(), H, W, C);
  hwc(out_shape, one_d_, kind(), OH, OW, F);
  const bool direct = pointwise();
  dx.reshape_for(x.n, x.shape);
  const int K = static_cast<int>(w_.w.size()) / F;
  const int rows = static_cast<int>(dy.v.size()) / F;
  column_sums(rows, F, dy.v.data(), b_.g.data());
  const std::size_t per_sample = static_cast<std::size_t>(OH) * OW;
  // The patches of forward() when this is its input (the model keeps every activation
  // until backward), else built again.
  if (!direct && (x.v.data() != cols_of_ || x.n != cols_n_)) {
    cols_.resize(static_cast<std::size_t>(rows) * K);
    parallel_for(static_cast<std::size_t>(x.n), 1,
                 [&](int, std::size_t n0, std::size_t n1) { im2col(x, n0, n1, cols_.data()); });
  }
  // dW[F, K] += dY^T patches
  gemm_sum_rows(F, K, rows, dy.v.data(), F, direct ? x.v.data() : cols_.data(), K, w_.g.data(), K);
  if (!input_grad) return;
  if (direct) {  // 1x1: the input gradient is dY W directly
    gemm_rows(false, rows, K, F, dy.v.data(), F, w_.w.data(), K, 0.0f, dx.v.data(), K);
    return;
  }
  // d patches[rows, K] = dY W, then scattered back onto the input (col2im), per sample.
  dcols_.resize(static_cast<std::size_t>(rows) * K);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    const std::size_t r0 = n0 * per_sample;
    gemm(false, false, static_cast<int>((n1 - n0) * per_sample), K, F, 1.0f, dy.v.data() + r0 * F, F, w_.w.data(),
         K, 0.0f, dcols_.data() + r0 * K, K);
    const std::size_t sample = static_cast<std::size_t>(H) * W * C;
    std::fill(dx.v.begin() + static_cast<long>(n0 * sample), dx.v.begin() + static_cast<long>(n1 * sample), 0.0f);
    for (std::size_t n = n0; n < n1; ++n)
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const float* row = &dcols_[((n * OH + oy) * OW + ox) * static_cast<std::size_t>(K)];
          for_each_tap(s_, pt_, pl_, H, W, oy, ox, [&](int tap, int iy, int ix) {
            float* d = &dx.v[((n * H + iy) * W + ix) * C];
            const float* g = row + static_cast<std::size_t>(tap) * C;
            for (int c = 0; c < C; ++c) d[c] += g[c];
          });
        }
  });
}

std::uint64_t Conv2D::macs() const {
  return static_cast<std::uint64_t>(numel(out_shape)) * s_.kh * s_.kw * in_shape.back();
}

std::string Conv2D::describe() const {
  return one_d_ ? fmt::format("conv1d {} filters, kernel {}, stride {}, dilation {}, {}", s_.filters, s_.kw,
                              s_.stride_w, s_.dil_w, s_.padding == Padding::Same ? "same" : "valid")
                : fmt::format("conv2d {} filters, kernel {}x{}, stride {}x{}, {}", s_.filters, s_.kh, s_.kw,
                              s_.stride_h, s_.stride_w, s_.padding == Padding::Same ? "same" : "valid");
}

// ---------------------------------------------------------------- DepthwiseConv2D

Shape DepthwiseConv2D::build(const Shape& in, data::Rng& rng) {
  if (s_.depth_multiplier <= 0 || s_.kh <= 0 || s_.kw <= 0 || s_.stride_h <= 0 || s_.stride_w <= 0 ||
      s_.dil_h <= 0 || s_.dil_w <= 0)
    input_error("depthwise_conv2d: depth multiplier, kernel size, stride and dilation must be at least 1");
  int h, w, c;
  hwc(in, false, kind(), h, w, c);
  in_shape = in;
  int oh = conv_out_size(h, s_.kh, s_.stride_h, s_.dil_h, s_.padding, &pt_);
  int ow = conv_out_size(w, s_.kw, s_.stride_w, s_.dil_w, s_.padding, &pl_);
  if (oh <= 0 || ow <= 0)
    input_error("depthwise_conv2d: kernel {}x{} does not fit the input {} with 'valid' padding", s_.kh,
                s_.kw, to_string(in));
  int oc = c * s_.depth_multiplier;
  std::size_t fan_in = static_cast<std::size_t>(s_.kh) * s_.kw;
  init_weights(w_, fan_in * oc, fan_in, rng);
  init_const(b_, static_cast<std::size_t>(oc), 0.0f);
  out_shape = {oh, ow, oc};
  return out_shape;
}

void DepthwiseConv2D::forward(const Tensor& x, Tensor& y, bool) {
  const int H = in_shape[0], W = in_shape[1], C = in_shape[2];
  const int OH = out_shape[0], OW = out_shape[1], OC = out_shape[2], M = s_.depth_multiplier;
  y.reshape_for(x.n, out_shape);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    for (std::size_t n = n0; n < n1; ++n) {
      const float* xs = &x.v[n * H * W * C];
      float* ys = &y.v[n * OH * OW * OC];
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          float* yo = ys + (static_cast<std::size_t>(oy) * OW + ox) * OC;
          for (int o = 0; o < OC; ++o) yo[o] = b_.w[o];
          for_each_tap(s_, pt_, pl_, H, W, oy, ox, [&](int tap, int iy, int ix) {
            const float* xi = xs + (static_cast<std::size_t>(iy) * W + ix) * C;
            const float* wk = &w_.w[static_cast<std::size_t>(tap) * OC];
            for (int c = 0; c < C; ++c)
              for (int m = 0; m < M; ++m) yo[c * M + m] += xi[c] * wk[c * M + m];
          });
        }
    }
  });
}

void DepthwiseConv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int H = in_shape[0], W = in_shape[1], C = in_shape[2];
  const int OH = out_shape[0], OW = out_shape[1], OC = out_shape[2], M = s_.depth_multiplier;
  dx.resize(x.n, x.shape);
  per_chunk_grads({&w_, &b_}, static_cast<std::size_t>(x.n), 1,
                   [&](std::size_t n0, std::size_t n1, std::vector<float>& wg, std::vector<float>& bg) {
    for (std::size_t n = n0; n < n1; ++n) {
      const float* xs = &x.v[n * H * W * C];
      float* dxs = &dx.v[n * H * W * C];
      const float* gs = &dy.v[n * OH * OW * OC];
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const float* go = gs + (static_cast<std::size_t>(oy) * OW + ox) * OC;
          for (int o = 0; o < OC; ++o) bg[o] += go[o];
          for_each_tap(s_, pt_, pl_, H, W, oy, ox, [&](int tap, int iy, int ix) {
            const std::size_t xo = (static_cast<std::size_t>(iy) * W + ix) * C;
            const std::size_t wo = static_cast<std::size_t>(tap) * OC;
            for (int c = 0; c < C; ++c)
              for (int m = 0; m < M; ++m) {
                float g = go[c * M + m];
                wg[wo + c * M + m] += g * xs[xo + c];
                dxs[xo + c] += g * w_.w[wo + c * M + m];
              }
          });
        }
    }
  });
}

std::uint64_t DepthwiseConv2D::macs() const {
  return static_cast<std::uint64_t>(numel(out_shape)) * s_.kh * s_.kw;
}
std::string DepthwiseConv2D::describe() const {
  return fmt::format("depthwise_conv2d kernel {}x{}, stride {}x{}, multiplier {}", s_.kh, s_.kw, s_.stride_h,
                     s_.stride_w, s_.depth_multiplier);
}

// ---------------------------------------------------------------- Pool2D

std::string Pool2D::kind() const {
  return fmt::format("{}_pool{}", max_ ? "max" : "average", one_d_ ? "1d" : "2d");
}

Shape Pool2D::build(const Shape& in, data::Rng&) {
  if (ph_ <= 0 || pw_ <= 0 || sh_ <= 0 || sw_ <= 0) input_error("{}: pool size and stride must be at least 1", kind());
  int h, w, c;
  hwc(in, one_d_, kind(), h, w, c);
  in_shape = in;
  int oh = conv_out_size(h, ph_, sh_, 1, pad_, &pt_);
  int ow = conv_out_size(w, pw_, sw_, 1, pad_, &pl_);
  if (oh <= 0 || ow <= 0)
    input_error("{}: pool {}x{} does not fit the input {}", kind(), ph_, pw_, to_string(in));
  out_shape = out_hwc(one_d_, oh, ow, c);
  return out_shape;
}

void Pool2D::forward(const Tensor& x, Tensor& y, bool) {
  int H0, W0, C0, OH0, OW0, OC0;
  hwc(in_shape, one_d_, kind(), H0, W0, C0);
  hwc(out_shape, one_d_, kind(), OH0, OW0, OC0);
  y.reshape_for(x.n, out_shape);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    // Locals, so that the stores below cannot be taken to change them.
    const int H = H0, W = W0, C = C0, OH = OH0, OW = OW0, ph = ph_, pw = pw_, sh = sh_, sw = sw_, pt = pt_, pl = pl_;
    const bool is_max = max_;
    const std::size_t in_sample = static_cast<std::size_t>(H) * W * C, out_sample = static_cast<std::size_t>(OH) * OW * C;
    for (std::size_t n = n0; n < n1; ++n) {
      const float* xs = x.v.data() + n * in_sample;
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const std::size_t o = n * out_sample + (static_cast<std::size_t>(oy) * OW + ox) * C;
          float* __restrict yo = y.v.data() + o;
          int count = 0;
          for (int ky = 0; ky < ph; ++ky) {
            const int iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < pw; ++kx) {
              const int ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= W) continue;
              const float* __restrict xi = xs + (static_cast<std::size_t>(iy) * W + ix) * C;
              if (count++ == 0) {
                for (int c = 0; c < C; ++c) yo[c] = xi[c];
              } else if (is_max) {
                for (int c = 0; c < C; ++c) yo[c] = std::max(yo[c], xi[c]);
              } else {
                for (int c = 0; c < C; ++c) yo[c] += xi[c];
              }
            }
          }
          if (!is_max) {
            const float inv = 1.0f / static_cast<float>(std::max(count, 1));
            for (int c = 0; c < C; ++c) yo[c] *= inv;
          }
        }
    }
  });
}

void Pool2D::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) {
  int H0, W0, C0, OH0, OW0, OC0;
  hwc(in_shape, one_d_, kind(), H0, W0, C0);
  hwc(out_shape, one_d_, kind(), OH0, OW0, OC0);
  dx.reshape_for(x.n, x.shape);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    const int H = H0, W = W0, C = C0, OH = OH0, OW = OW0, ph = ph_, pw = pw_, sh = sh_, sw = sw_, pt = pt_, pl = pl_;
    const bool is_max = max_;
    const std::size_t in_sample = static_cast<std::size_t>(H) * W * C, out_sample = static_cast<std::size_t>(OH) * OW * C;
    std::fill(dx.v.begin() + static_cast<long>(n0 * in_sample), dx.v.begin() + static_cast<long>(n1 * in_sample),
              0.0f);
    std::vector<float> left(static_cast<std::size_t>(C));
    for (std::size_t n = n0; n < n1; ++n) {
      float* dxs = dx.v.data() + n * in_sample;
      const float* xs = x.v.data() + n * in_sample;
      for (int oy = 0; oy < OH; ++oy)
        for (int ox = 0; ox < OW; ++ox) {
          const std::size_t o = n * out_sample + (static_cast<std::size_t>(oy) * OW + ox) * C;
          const float* __restrict go = dy.v.data() + o;
          const float* __restrict yo = y.v.data() + o;
          const int y0 = std::max(oy * sh - pt, 0), y1 = std::min(oy * sh - pt + ph, H);
          const int x0 = std::max(ox * sw - pl, 0), x1 = std::min(ox * sw - pl + pw, W);
          float* __restrict lv = left.data();
          if (is_max) {
            // The whole gradient goes to the first cell (in scan order) that holds the
            // maximum: `left` keeps what is still to route, per channel.
            std::copy_n(go, C, lv);
            for (int iy = y0; iy < y1; ++iy)
              for (int ix = x0; ix < x1; ++ix) {
                const std::size_t at = (static_cast<std::size_t>(iy) * W + ix) * C;
                const float* __restrict xi = xs + at;
                float* __restrict d = dxs + at;
                for (int c = 0; c < C; ++c) {
                  const float take = xi[c] == yo[c] ? lv[c] : 0.0f;
                  d[c] += take;
                  lv[c] -= take;
                }
              }
          } else {
            const float inv = 1.0f / static_cast<float>(std::max((y1 - y0) * (x1 - x0), 1));
            for (int iy = y0; iy < y1; ++iy)
              for (int ix = x0; ix < x1; ++ix) {
                float* __restrict d = dxs + (static_cast<std::size_t>(iy) * W + ix) * C;
                for (int c = 0; c < C; ++c) d[c] += go[c] * inv;
              }
          }
        }
    }
  });
}

std::string Pool2D::describe() const {
  return one_d_ ? fmt::format("{} {}, stride {}", kind(), pw_, sw_)
                : fmt::format("{} {}x{}, stride {}x{}", kind(), ph_, pw_, sh_, sw_);
}

// ---------------------------------------------------------------- GlobalAveragePool

Shape GlobalAveragePool::build(const Shape& in, data::Rng&) {
  if (in.size() < 2) input_error("global_average_pool: input shape {} has no spatial axis", to_string(in));
  in_shape = in;
  out_shape = {in.back()};
  return out_shape;
}

void GlobalAveragePool::forward(const Tensor& x, Tensor& y, bool) {
  const std::size_t C = static_cast<std::size_t>(in_shape.back()), S = numel(in_shape) / C;
  y.resize(x.n, out_shape);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    for (std::size_t n = n0; n < n1; ++n)
      for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) y.v[n * C + c] += x.v[(n * S + s) * C + c] / static_cast<float>(S);
  });
}

void GlobalAveragePool::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const std::size_t C = static_cast<std::size_t>(in_shape.back()), S = numel(in_shape) / C;
  dx.reshape_for(x.n, x.shape);
  parallel_for(static_cast<std::size_t>(x.n), 1, [&](int, std::size_t n0, std::size_t n1) {
    for (std::size_t n = n0; n < n1; ++n)
      for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) dx.v[(n * S + s) * C + c] = dy.v[n * C + c] / static_cast<float>(S);
  });
}

// ---------------------------------------------------------------- BatchNorm

Shape BatchNorm::build(const Shape& in, data::Rng&) {
  in_shape = out_shape = in;
  const std::size_t C = static_cast<std::size_t>(in.back());
  init_const(gamma_, C, 1.0f);
  init_const(beta_, C, 0.0f);
  running_mean.assign(C, 0.0f);
  running_var.assign(C, 1.0f);
  return out_shape;
}

void BatchNorm::forward(const Tensor& x, Tensor& y, bool training) {
  const std::size_t C = static_cast<std::size_t>(in_shape.back());
  const std::size_t M = x.v.size() / C;
  y.resize(x.n, x.shape);
  last_training_ = training;
  mean_.assign(C, 0.0f);
  inv_std_.assign(C, 0.0f);
  if (training) {
    std::vector<double> s(C, 0.0), s2(C, 0.0);
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t c = 0; c < C; ++c) s[c] += x.v[i * C + c];
    for (std::size_t c = 0; c < C; ++c) mean_[c] = static_cast<float>(s[c] / static_cast<double>(M));
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t c = 0; c < C; ++c) {
        double d = x.v[i * C + c] - mean_[c];
        s2[c] += d * d;
      }
    for (std::size_t c = 0; c < C; ++c) {
      float var = static_cast<float>(s2[c] / static_cast<double>(M));
      inv_std_[c] = 1.0f / std::sqrt(var + eps_);
      running_mean[c] = momentum_ * running_mean[c] + (1 - momentum_) * mean_[c];
      running_var[c] = momentum_ * running_var[c] + (1 - momentum_) * var;
    }
  } else {
    for (std::size_t c = 0; c < C; ++c) {
      mean_[c] = running_mean[c];
      inv_std_[c] = 1.0f / std::sqrt(running_var[c] + eps_);
    }
  }
  y.reshape_for(x.n, x.shape);
  parallel_for(M, kMinElements / C + 1, [&](int, std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i)
      for (std::size_t c = 0; c < C; ++c)
        y.v[i * C + c] = gamma_.w[c] * (x.v[i * C + c] - mean_[c]) * inv_std_[c] + beta_.w[c];
  });
}

void BatchNorm::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const std::size_t C = static_cast<std::size_t>(in_shape.back());
  const std::size_t M = x.v.size() / C;
  dx.resize(x.n, x.shape);
  std::vector<double> sum_g(C, 0.0), sum_gx(C, 0.0);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t c = 0; c < C; ++c) {
      float xhat = (x.v[i * C + c] - mean_[c]) * inv_std_[c];
      float g = dy.v[i * C + c];
      beta_.g[c] += g;
      gamma_.g[c] += g * xhat;
      sum_g[c] += g;
      sum_gx[c] += g * xhat;
    }
  parallel_for(M, kMinElements / C + 1, [&](int, std::size_t i0, std::size_t i1) {
    for (std::size_t i = i0; i < i1; ++i)
      for (std::size_t c = 0; c < C; ++c) {
        float g = dy.v[i * C + c];
        if (!last_training_) {
          dx.v[i * C + c] = g * gamma_.w[c] * inv_std_[c];
          continue;
        }
        float xhat = (x.v[i * C + c] - mean_[c]) * inv_std_[c];
        double mg = sum_g[c] / static_cast<double>(M), mgx = sum_gx[c] / static_cast<double>(M);
        dx.v[i * C + c] = static_cast<float>(gamma_.w[c] * inv_std_[c] * (g - mg - xhat * mgx));
      }
  });
}

// ---------------------------------------------------------------- Activation

std::string Activation::kind() const {
  switch (a_) {
    case Act::ReLU: return "relu";
    case Act::ReLU6: return "relu6";
    case Act::Tanh: return "tanh";
    case Act::Sigmoid: return "sigmoid";
    case Act::Softmax: return "softmax";
  }
  return "?";
}

Shape Activation::build(const Shape& in, data::Rng&) {
  in_shape = out_shape = in;
  return out_shape;
}

void Activation::forward(const Tensor& x, Tensor& y, bool) {
  y.reshape_for(x.n, x.shape);
  if (a_ == Act::Softmax) {
    apply(x, y, 0, x.v.size());
    return;
  }
  parallel_for(x.v.size(), kMinElements, [&](int, std::size_t b, std::size_t e) { apply(x, y, b, e); });
}

void Activation::apply(const Tensor& x, Tensor& y, std::size_t b, std::size_t e) const {
  const float* __restrict xv = x.v.data();
  float* __restrict yv = y.v.data();
  switch (a_) {
    case Act::ReLU:
      for (std::size_t i = b; i < e; ++i) yv[i] = std::max(xv[i], 0.0f);
      break;
    case Act::ReLU6:
      for (std::size_t i = b; i < e; ++i) yv[i] = std::clamp(xv[i], 0.0f, 6.0f);
      break;
    case Act::Tanh:
      for (std::size_t i = b; i < e; ++i) y.v[i] = std::tanh(x.v[i]);
      break;
    case Act::Sigmoid:
      for (std::size_t i = b; i < e; ++i) y.v[i] = 1.0f / (1.0f + std::exp(-x.v[i]));
      break;
    case Act::Softmax: {
      const std::size_t K = static_cast<std::size_t>(x.shape.back());
      for (std::size_t r = b / K; r < e / K; ++r) {
        const float* xi = &x.v[r * K];
        float* yo = &y.v[r * K];
        float mx = *std::max_element(xi, xi + K);
        float s = 0;
        for (std::size_t k = 0; k < K; ++k) s += (yo[k] = std::exp(xi[k] - mx));
        for (std::size_t k = 0; k < K; ++k) yo[k] /= s;
      }
      break;
    }
  }
}

void Activation::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) {
  dx.reshape_for(x.n, x.shape);
  if (a_ == Act::Softmax) {
    apply_grad(x, y, dy, dx, 0, x.v.size());
    return;
  }
  parallel_for(x.v.size(), kMinElements,
               [&](int, std::size_t b, std::size_t e) { apply_grad(x, y, dy, dx, b, e); });
}

void Activation::apply_grad(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx, std::size_t b,
                            std::size_t e) const {
  const float* __restrict xv = x.v.data();
  const float* __restrict gv = dy.v.data();
  float* __restrict dv = dx.v.data();
  switch (a_) {
    case Act::ReLU:
      for (std::size_t i = b; i < e; ++i) {
        const float g = gv[i];  // read unconditionally, so the loop vectorizes
        dv[i] = xv[i] > 0 ? g : 0.0f;
      }
      break;
    case Act::ReLU6:
      for (std::size_t i = b; i < e; ++i) {
        const float g = gv[i], v = xv[i];
        dv[i] = (v > 0 && v < 6) ? g : 0.0f;
      }
      break;
    case Act::Tanh:
      for (std::size_t i = b; i < e; ++i) dx.v[i] = dy.v[i] * (1 - y.v[i] * y.v[i]);
      break;
    case Act::Sigmoid:
      for (std::size_t i = b; i < e; ++i) dx.v[i] = dy.v[i] * y.v[i] * (1 - y.v[i]);
      break;
    case Act::Softmax: {
      const std::size_t K = static_cast<std::size_t>(x.shape.back());
      for (std::size_t r = b / K; r < e / K; ++r) {
        float dot = 0;
        for (std::size_t k = 0; k < K; ++k) dot += dy.v[r * K + k] * y.v[r * K + k];
        for (std::size_t k = 0; k < K; ++k) dx.v[r * K + k] = y.v[r * K + k] * (dy.v[r * K + k] - dot);
      }
      break;
    }
  }
}

// ---------------------------------------------------------------- Dropout

Shape Dropout::build(const Shape& in, data::Rng&) {
  if (!(rate_ >= 0 && rate_ < 1)) input_error("dropout: rate must be in [0, 1), got {}", rate_);
  in_shape = out_shape = in;
  return out_shape;
}

void Dropout::forward(const Tensor& x, Tensor& y, bool training) {
  y.resize(x.n, x.shape);
  if (!training || rate_ == 0.0f) {
    y.v = x.v;
    mask_.assign(x.v.size(), 1.0f);
    return;
  }
  if (!freeze_mask || mask_.size() != x.v.size()) {
    mask_.resize(x.v.size());
    const float keep = 1.0f - rate_;
    const auto threshold = static_cast<std::uint64_t>(static_cast<double>(rate_) * 18446744073709551615.0);
    for (auto& m : mask_) m = rng_.next() < threshold ? 0.0f : 1.0f / keep;
  }
  for (std::size_t i = 0; i < x.v.size(); ++i) y.v[i] = x.v[i] * mask_[i];
}

void Dropout::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  dx.resize(x.n, x.shape);
  for (std::size_t i = 0; i < dy.v.size(); ++i) dx.v[i] = dy.v[i] * mask_[i];
}

// ---------------------------------------------------------------- Reshape / Flatten

Shape Reshape::build(const Shape& in, data::Rng&) {
  in_shape = in;
  if (flatten_) {
    out_shape = {static_cast<int>(numel(in))};
  } else {
    if (numel(target_) != numel(in))
      input_error("reshape: cannot reshape {} ({} values) to {} ({} values)", to_string(in), numel(in),
                  to_string(target_), numel(target_));
    out_shape = target_;
  }
  return out_shape;
}

void Reshape::forward(const Tensor& x, Tensor& y, bool) {
  y.n = x.n;
  y.shape = out_shape;
  y.v = x.v;
}

void Reshape::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  dx.n = x.n;
  dx.shape = x.shape;
  dx.v = dy.v;
}

// ---------------------------------------------------------------- Add

Shape Add::build(const Shape& in, data::Rng&) {
  in_shape = out_shape = in;
  return out_shape;
}

void Add::forward(const Tensor& x, Tensor& y, bool) {
  if (!other || other->v.size() != x.v.size()) failure("add: the two inputs differ in size");
  y.resize(x.n, x.shape);
  for (std::size_t i = 0; i < x.v.size(); ++i) y.v[i] = x.v[i] + other->v[i];
}

void Add::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  dx.n = x.n;
  dx.shape = x.shape;
  dx.v = dy.v;
  d_other.n = x.n;
  d_other.shape = other->shape;
  d_other.v = dy.v;
}

}  // namespace tinyml::nn
