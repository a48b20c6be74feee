#include "tinyml/nn/layers.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tinyml/error.hpp"
#include "tinyml/nn/gemm.hpp"

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
  y.resize(x.n, out_shape);
  const int D = inputs_, U = units_;
  // Y[N, U] = X[N, D] W^T + b
  gemm(false, true, x.n, U, D, 1.0f, x.v.data(), D, w_.w.data(), D, 0.0f, y.v.data(), U);
  for (int n = 0; n < x.n; ++n)
    for (int u = 0; u < U; ++u) y.v[static_cast<std::size_t>(n) * U + u] += b_.w[static_cast<std::size_t>(u)];
}

void Dense::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  dx.resize(x.n, x.shape);
  const int D = inputs_, U = units_;
  for (int n = 0; n < x.n; ++n)
    for (int u = 0; u < U; ++u) b_.g[static_cast<std::size_t>(u)] += dy.v[static_cast<std::size_t>(n) * U + u];
  // dW[U, D] += dY^T X; dX[N, D] = dY W
  gemm(true, false, U, D, x.n, 1.0f, dy.v.data(), U, x.v.data(), D, 1.0f, w_.g.data(), D);
  gemm(false, false, x.n, D, U, 1.0f, dy.v.data(), U, w_.w.data(), D, 0.0f, dx.v.data(), D);
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

// The patches of a convolution as rows of a matrix: row (n, oy, ox), column (ky, kx, c),
// zero where the patch reaches into the padding. Returns false (and leaves `cols` alone)
// for a 1x1, stride-1 convolution, whose patches are the input itself.
bool Conv2D::im2col(const Tensor& x, std::vector<float>& cols) const {
  int H, W, C, OH, OW, F;
  hwc(in_shape, one_d_, kind(), H, W, C);
  hwc(out_shape, one_d_, kind(), OH, OW, F);
  if (s_.kh == 1 && s_.kw == 1 && s_.stride_h == 1 && s_.stride_w == 1) return false;
  const std::size_t K = static_cast<std::size_t>(s_.kh) * s_.kw * C;
  cols.assign(static_cast<std::size_t>(x.n) * OH * OW * K, 0.0f);
  for (int n = 0; n < x.n; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float* row = &cols[((static_cast<std::size_t>(n) * OH + oy) * OW + ox) * K];
        for (int ky = 0; ky < s_.kh; ++ky) {
          int iy = oy * s_.stride_h - pt_ + ky * s_.dil_h;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s_.kw; ++kx) {
            int ix = ox * s_.stride_w - pl_ + kx * s_.dil_w;
            if (ix < 0 || ix >= W) continue;
            std::copy_n(&x.v[((static_cast<std::size_t>(n) * H + iy) * W + ix) * C], C,
                        row + (static_cast<std::size_t>(ky) * s_.kw + kx) * C);
          }
        }
      }
  return true;
}

void Conv2D::forward(const Tensor& x, Tensor& y, bool) {
  y.resize(x.n, out_shape);
  const int F = s_.filters;
  const int K = static_cast<int>(w_.w.size()) / F;
  const int rows = static_cast<int>(y.v.size()) / F;
  const float* a = im2col(x, cols_) ? cols_.data() : x.v.data();
  // Y[rows, F] = patches[rows, K] W^T + b
  gemm(false, true, rows, F, K, 1.0f, a, K, w_.w.data(), K, 0.0f, y.v.data(), F);
  for (int r = 0; r < rows; ++r)
    for (int f = 0; f < F; ++f) y.v[static_cast<std::size_t>(r) * F + f] += b_.w[static_cast<std::size_t>(f)];
}

void Conv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  int H, W, C, OH, OW, F;
  hwc(in_shape, one_d_, kind(), H, W, C);
  hwc(out_shape, one_d_, kind(), OH, OW, F);
  dx.resize(x.n, x.shape);
  const int K = static_cast<int>(w_.w.size()) / F;
  const int rows = static_cast<int>(dy.v.size()) / F;
  for (int r = 0; r < rows; ++r)
    for (int f = 0; f < F; ++f) b_.g[static_cast<std::size_t>(f)] += dy.v[static_cast<std::size_t>(r) * F + f];
  const bool patches = im2col(x, cols_);
  // dW[F, K] += dY^T patches
  gemm(true, false, F, K, rows, 1.0f, dy.v.data(), F, patches ? cols_.data() : x.v.data(), K, 1.0f,
       w_.g.data(), K);
  if (!patches) {  // 1x1: the input gradient is dY W directly
    gemm(false, false, rows, K, F, 1.0f, dy.v.data(), F, w_.w.data(), K, 0.0f, dx.v.data(), K);
    return;
  }
  // d patches[rows, K] = dY W, then scattered back onto the input (col2im).
  dcols_.resize(static_cast<std::size_t>(rows) * K);
  gemm(false, false, rows, K, F, 1.0f, dy.v.data(), F, w_.w.data(), K, 0.0f, dcols_.data(), K);
  for (int n = 0; n < x.n; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const float* row = &dcols_[((static_cast<std::size_t>(n) * OH + oy) * OW + ox) * static_cast<std::size_t>(K)];
        for (int ky = 0; ky < s_.kh; ++ky) {
          int iy = oy * s_.stride_h - pt_ + ky * s_.dil_h;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s_.kw; ++kx) {
            int ix = ox * s_.stride_w - pl_ + kx * s_.dil_w;
            if (ix < 0 || ix >= W) continue;
            float* d = &dx.v[((static_cast<std::size_t>(n) * H + iy) * W + ix) * C];
            const float* g = row + (static_cast<std::size_t>(ky) * s_.kw + kx) * C;
            for (int c = 0; c < C; ++c) d[c] += g[c];
          }
        }
      }
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
  y.resize(x.n, out_shape);
  for (int n = 0; n < x.n; ++n) {
    const float* xs = &x.v[static_cast<std::size_t>(n) * H * W * C];
    float* ys = &y.v[static_cast<std::size_t>(n) * OH * OW * OC];
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        float* yo = ys + (static_cast<std::size_t>(oy) * OW + ox) * OC;
        for (int o = 0; o < OC; ++o) yo[o] = b_.w[o];
        for (int ky = 0; ky < s_.kh; ++ky) {
          int iy = oy * s_.stride_h - pt_ + ky * s_.dil_h;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s_.kw; ++kx) {
            int ix = ox * s_.stride_w - pl_ + kx * s_.dil_w;
            if (ix < 0 || ix >= W) continue;
            const float* xi = xs + (static_cast<std::size_t>(iy) * W + ix) * C;
            const float* wk = &w_.w[(static_cast<std::size_t>(ky) * s_.kw + kx) * OC];
            for (int c = 0; c < C; ++c)
              for (int m = 0; m < M; ++m) yo[c * M + m] += xi[c] * wk[c * M + m];
          }
        }
      }
  }
}

void DepthwiseConv2D::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const int H = in_shape[0], W = in_shape[1], C = in_shape[2];
  const int OH = out_shape[0], OW = out_shape[1], OC = out_shape[2], M = s_.depth_multiplier;
  dx.resize(x.n, x.shape);
  for (int n = 0; n < x.n; ++n) {
    const float* xs = &x.v[static_cast<std::size_t>(n) * H * W * C];
    float* dxs = &dx.v[static_cast<std::size_t>(n) * H * W * C];
    const float* gs = &dy.v[static_cast<std::size_t>(n) * OH * OW * OC];
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox) {
        const float* go = gs + (static_cast<std::size_t>(oy) * OW + ox) * OC;
        for (int o = 0; o < OC; ++o) b_.g[o] += go[o];
        for (int ky = 0; ky < s_.kh; ++ky) {
          int iy = oy * s_.stride_h - pt_ + ky * s_.dil_h;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < s_.kw; ++kx) {
            int ix = ox * s_.stride_w - pl_ + kx * s_.dil_w;
            if (ix < 0 || ix >= W) continue;
            const std::size_t xo = (static_cast<std::size_t>(iy) * W + ix) * C;
            const std::size_t wo = (static_cast<std::size_t>(ky) * s_.kw + kx) * OC;
            for (int c = 0; c < C; ++c)
              for (int m = 0; m < M; ++m) {
                float g = go[c * M + m];
                w_.g[wo + c * M + m] += g * xs[xo + c];
                dxs[xo + c] += g * w_.w[wo + c * M + m];
              }
          }
        }
      }
  }
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
  int H, W, C, OH, OW, OC;
  hwc(in_shape, one_d_, kind(), H, W, C);
  hwc(out_shape, one_d_, kind(), OH, OW, OC);
  y.resize(x.n, out_shape);
  for (int n = 0; n < x.n; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int c = 0; c < C; ++c) {
          float best = -INFINITY, sum = 0;
          int count = 0;
          for (int ky = 0; ky < ph_; ++ky) {
            int iy = oy * sh_ - pt_ + ky;
            if (iy < 0 || iy >= H) continue;
            for (int kx = 0; kx < pw_; ++kx) {
              int ix = ox * sw_ - pl_ + kx;
              if (ix < 0 || ix >= W) continue;
              float v = x.v[((static_cast<std::size_t>(n) * H + iy) * W + ix) * C + c];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          }
          y.v[((static_cast<std::size_t>(n) * OH + oy) * OW + ox) * C + c] =
              max_ ? best : sum / static_cast<float>(std::max(count, 1));
        }
}

void Pool2D::backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor& dx) {
  int H, W, C, OH, OW, OC;
  hwc(in_shape, one_d_, kind(), H, W, C);
  hwc(out_shape, one_d_, kind(), OH, OW, OC);
  dx.resize(x.n, x.shape);
  for (int n = 0; n < x.n; ++n)
    for (int oy = 0; oy < OH; ++oy)
      for (int ox = 0; ox < OW; ++ox)
        for (int c = 0; c < C; ++c) {
          const std::size_t oi = ((static_cast<std::size_t>(n) * OH + oy) * OW + ox) * C + c;
          const float g = dy.v[oi];
          int count = 0;
          bool routed = false;
          for (int pass = 0; pass < (max_ ? 1 : 2); ++pass)
            for (int ky = 0; ky < ph_; ++ky) {
              int iy = oy * sh_ - pt_ + ky;
              if (iy < 0 || iy >= H) continue;
              for (int kx = 0; kx < pw_; ++kx) {
                int ix = ox * sw_ - pl_ + kx;
                if (ix < 0 || ix >= W) continue;
                const std::size_t ii = ((static_cast<std::size_t>(n) * H + iy) * W + ix) * C + c;
                if (max_) {
                  // The gradient goes to the first cell holding the maximum.
                  if (!routed && x.v[ii] == y.v[oi]) {
                    dx.v[ii] += g;
                    routed = true;
                  }
                } else if (pass == 0) {
                  ++count;
                } else {
                  dx.v[ii] += g / static_cast<float>(count);
                }
              }
            }
        }
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
  for (int n = 0; n < x.n; ++n)
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t c = 0; c < C; ++c) y.v[n * C + c] += x.v[(n * S + s) * C + c] / static_cast<float>(S);
}

void GlobalAveragePool::backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor& dx) {
  const std::size_t C = static_cast<std::size_t>(in_shape.back()), S = numel(in_shape) / C;
  dx.resize(x.n, x.shape);
  for (int n = 0; n < x.n; ++n)
    for (std::size_t s = 0; s < S; ++s)
      for (std::size_t c = 0; c < C; ++c) dx.v[(n * S + s) * C + c] = dy.v[n * C + c] / static_cast<float>(S);
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
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t c = 0; c < C; ++c)
      y.v[i * C + c] = gamma_.w[c] * (x.v[i * C + c] - mean_[c]) * inv_std_[c] + beta_.w[c];
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
  for (std::size_t i = 0; i < M; ++i)
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
  y.resize(x.n, x.shape);
  const std::size_t N = x.v.size();
  switch (a_) {
    case Act::ReLU:
      for (std::size_t i = 0; i < N; ++i) y.v[i] = std::max(x.v[i], 0.0f);
      break;
    case Act::ReLU6:
      for (std::size_t i = 0; i < N; ++i) y.v[i] = std::clamp(x.v[i], 0.0f, 6.0f);
      break;
    case Act::Tanh:
      for (std::size_t i = 0; i < N; ++i) y.v[i] = std::tanh(x.v[i]);
      break;
    case Act::Sigmoid:
      for (std::size_t i = 0; i < N; ++i) y.v[i] = 1.0f / (1.0f + std::exp(-x.v[i]));
      break;
    case Act::Softmax: {
      const std::size_t K = static_cast<std::size_t>(x.shape.back());
      for (std::size_t r = 0; r < N / K; ++r) {
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
  dx.resize(x.n, x.shape);
  const std::size_t N = x.v.size();
  switch (a_) {
    case Act::ReLU:
      for (std::size_t i = 0; i < N; ++i) dx.v[i] = x.v[i] > 0 ? dy.v[i] : 0.0f;
      break;
    case Act::ReLU6:
      for (std::size_t i = 0; i < N; ++i) dx.v[i] = (x.v[i] > 0 && x.v[i] < 6) ? dy.v[i] : 0.0f;
      break;
    case Act::Tanh:
      for (std::size_t i = 0; i < N; ++i) dx.v[i] = dy.v[i] * (1 - y.v[i] * y.v[i]);
      break;
    case Act::Sigmoid:
      for (std::size_t i = 0; i < N; ++i) dx.v[i] = dy.v[i] * y.v[i] * (1 - y.v[i]);
      break;
    case Act::Softmax: {
      const std::size_t K = static_cast<std::size_t>(x.shape.back());
      for (std::size_t r = 0; r < N / K; ++r) {
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
