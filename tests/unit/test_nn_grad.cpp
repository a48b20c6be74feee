// Finite-difference gradient checks for every layer and loss: the analytic gradients of
// the input and of every parameter must match central differences.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "tinyml/error.hpp"
#include "tinyml/nn/model.hpp"

using namespace tinyml;
using namespace tinyml::nn;

namespace {

float rnd(data::Rng& r) { return static_cast<float>(static_cast<double>(r.next() >> 11) / 9007199254740992.0) * 2 - 1; }

Tensor random_tensor(int n, const Shape& s, std::uint64_t seed) {
  Tensor t;
  t.resize(n, s);
  data::Rng r(seed);
  for (auto& v : t.v) {
    v = rnd(r);
    if (std::fabs(v) < 0.05f) v += v < 0 ? -0.05f : 0.05f;  // stay away from ReLU's kink
  }
  return t;
}

// loss = sum(y * w) for a fixed random w; compares d loss / d x and d loss / d params.
void check_model(Model& m, int batch, const Shape& in, bool training = true, double tol = 2e-2) {
  Tensor x = random_tensor(batch, in, 7);
  const Tensor& y0 = m.forward(x, training);
  Tensor w = random_tensor(batch, y0.shape, 11);
  auto loss = [&](const Tensor& xx) {
    const Tensor& y = m.forward(xx, training);
    double s = 0;
    for (std::size_t i = 0; i < y.v.size(); ++i) s += static_cast<double>(y.v[i]) * w.v[i];
    return s;
  };
  m.zero_grad();
  m.forward(x, training);
  Tensor dx = m.backward(w);
  std::vector<std::vector<float>> pg;
  for (Param* p : m.params()) pg.push_back(p->g);
  const float eps = 1e-2f;
  auto compare = [&](double analytic, double numeric, const std::string& what) {
    double err = std::fabs(analytic - numeric);
    double scale = std::max({1.0, std::fabs(analytic), std::fabs(numeric)});
    EXPECT_LE(err, tol * scale) << what << ": analytic " << analytic << " numeric " << numeric;
  };
  const std::size_t step_x = std::max<std::size_t>(1, x.v.size() / 60);
  for (std::size_t i = 0; i < x.v.size(); i += step_x) {
    Tensor xp = x, xm = x;
    xp.v[i] += eps;
    xm.v[i] -= eps;
    compare(dx.v[i], (loss(xp) - loss(xm)) / (2 * eps), "input[" + std::to_string(i) + "]");
  }
  auto ps = m.params();
  for (std::size_t k = 0; k < ps.size(); ++k) {
    Param& p = *ps[k];
    const std::size_t step = std::max<std::size_t>(1, p.w.size() / 40);
    for (std::size_t i = 0; i < p.w.size(); i += step) {
      float keep = p.w[i];
      p.w[i] = keep + eps;
      double lp = loss(x);
      p.w[i] = keep - eps;
      double lm = loss(x);
      p.w[i] = keep;
      compare(pg[k][i], (lp - lm) / (2 * eps), p.name + "[" + std::to_string(i) + "]");
    }
  }
}

template <typename L, typename... A>
Model single(const Shape& in, A&&... args) {
  Model m;
  m.layers.push_back(std::make_unique<L>(std::forward<A>(args)...));
  m.build(in, 3);
  return m;
}

}  // namespace

TEST(NnGrad, Dense) {
  Model m = single<Dense>({3, 4}, 5);
  check_model(m, 3, {3, 4});
}

TEST(NnGrad, Conv2DSameStrideDilation) {
  ConvSpec s{4, 3, 3, 2, 1, 1, 2, Padding::Same, 1};
  Model m = single<Conv2D>({6, 7, 3}, s);
  EXPECT_EQ(m.output_shape(), (Shape{3, 7, 4}));
  check_model(m, 2, {6, 7, 3});
}

TEST(NnGrad, Conv2DValid) {
  ConvSpec s{3, 2, 3, 1, 2, 1, 1, Padding::Valid, 1};
  Model m = single<Conv2D>({5, 7, 2}, s);
  EXPECT_EQ(m.output_shape(), (Shape{4, 3, 3}));
  check_model(m, 2, {5, 7, 2});
}

TEST(NnGrad, Conv1D) {
  ConvSpec s{5, 1, 3, 1, 1, 1, 1, Padding::Same, 1};
  Model m = single<Conv2D>({12, 2}, s, true);
  EXPECT_EQ(m.output_shape(), (Shape{12, 5}));
  check_model(m, 3, {12, 2});
}

TEST(NnGrad, DepthwiseConv2D) {
  ConvSpec s{0, 3, 3, 2, 2, 1, 1, Padding::Same, 2};
  Model m = single<DepthwiseConv2D>({5, 6, 3}, s);
  EXPECT_EQ(m.output_shape(), (Shape{3, 3, 6}));
  check_model(m, 2, {5, 6, 3});
}

TEST(NnGrad, MaxAndAveragePool) {
  Model mx = single<Pool2D>({4, 6, 2}, true, 2, 2, 2, 2, Padding::Valid, false);
  check_model(mx, 2, {4, 6, 2});
  Model av = single<Pool2D>({5, 5, 2}, false, 2, 2, 2, 2, Padding::Same, false);
  EXPECT_EQ(av.output_shape(), (Shape{3, 3, 2}));
  check_model(av, 2, {5, 5, 2});
  Model one = single<Pool2D>({8, 3}, true, 1, 2, 1, 2, Padding::Valid, true);
  EXPECT_EQ(one.output_shape(), (Shape{4, 3}));
  check_model(one, 2, {8, 3});
}

TEST(NnGrad, GlobalAveragePoolAndBatchNorm) {
  Model g = single<GlobalAveragePool>({3, 4, 5});
  check_model(g, 2, {3, 4, 5});
  Model b = single<BatchNorm>({4, 3});
  b.params()[0]->w = {1.5f, 0.5f, -1.0f};
  check_model(b, 5, {4, 3}, true, 3e-2);
  check_model(b, 5, {4, 3}, false);
}

TEST(NnGrad, Activations) {
  for (Act a : {Act::ReLU, Act::ReLU6, Act::Tanh, Act::Sigmoid, Act::Softmax}) {
    Model m = single<Activation>({2, 5}, a);
    check_model(m, 3, {2, 5});
  }
}

TEST(NnGrad, DropoutUsesItsMask) {
  Model m = single<Dropout>({20}, 0.5f, 99);
  auto* d = dynamic_cast<Dropout*>(m.layers[0].get());
  Tensor x = random_tensor(2, {20}, 1);
  m.forward(x, true);
  d->freeze_mask = true;
  check_model(m, 2, {20});
  const Tensor& y = m.forward(x, false);
  EXPECT_EQ(y.v, x.v);  // identity outside training
}

TEST(NnGrad, ResidualModel) {
  Model m;
  m.layers.push_back(std::make_unique<Conv2D>(ConvSpec{4, 3, 3, 1, 1, 1, 1, Padding::Same, 1}));
  m.layers.push_back(std::make_unique<Activation>(Act::Tanh));
  m.layers.push_back(std::make_unique<Conv2D>(ConvSpec{4, 3, 3, 1, 1, 1, 1, Padding::Same, 1}));
  m.layers.push_back(std::make_unique<Add>(0));  // + output of the first conv
  m.layers.push_back(std::make_unique<Reshape>(Shape{}, true));
  m.layers.push_back(std::make_unique<Dense>(3));
  m.build({4, 4, 2}, 5);
  check_model(m, 2, {4, 4, 2});
}

TEST(NnGrad, SoftmaxCrossEntropyWithWeightsAndSmoothing) {
  Tensor z = random_tensor(4, {5}, 3);
  std::vector<std::int32_t> y = {0, 3, 4, 3};
  std::vector<float> w = {1, 2, 1, 0.5f, 3};
  Tensor d;
  softmax_cross_entropy(z, y, w, 0.1f, d);
  const float eps = 1e-3f;
  for (std::size_t i = 0; i < z.v.size(); ++i) {
    Tensor zp = z, zm = z, tmp;
    zp.v[i] += eps;
    zm.v[i] -= eps;
    double num = (softmax_cross_entropy(zp, y, w, 0.1f, tmp) - softmax_cross_entropy(zm, y, w, 0.1f, tmp)) / (2 * eps);
    EXPECT_NEAR(d.v[i], num, 2e-3);
  }
  // Known value: uniform logits over K classes give log K.
  Tensor u;
  u.resize(1, {4});
  EXPECT_NEAR(softmax_cross_entropy(u, {2}, {}, 0.0f, d), std::log(4.0), 1e-6);
}

TEST(NnGrad, MeanSquaredError) {
  Tensor p = random_tensor(3, {4}, 5);
  std::vector<float> t(12, 0.25f);
  Tensor d;
  mean_squared_error(p, t, d);
  const float eps = 1e-3f;
  for (std::size_t i = 0; i < p.v.size(); ++i) {
    Tensor pp = p, pm = p, tmp;
    pp.v[i] += eps;
    pm.v[i] -= eps;
    double num = (mean_squared_error(pp, t, tmp) - mean_squared_error(pm, t, tmp)) / (2 * eps);
    EXPECT_NEAR(d.v[i], num, 1e-3);
  }
}

TEST(NnModel, ShapesThatCannotWorkAreRejectedWithTheLayer) {
  Model m;
  m.layers.push_back(std::make_unique<Conv2D>(ConvSpec{4, 5, 5, 1, 1, 1, 1, Padding::Valid, 1}));
  try {
    m.build({3, 3, 1}, 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1 (conv2d): kernel 5x5"), std::string::npos) << e.what();
  }
  Model z;
  z.layers.push_back(std::make_unique<Dense>(0));
  EXPECT_THROW(z.build({4}, 1), InputError);
  Model a;
  a.layers.push_back(std::make_unique<Dense>(3));
  a.layers.push_back(std::make_unique<Add>(-1));
  EXPECT_THROW(a.build({4}, 1), InputError);  // [3] + [4]
}

TEST(NnModel, OptimizersReduceAQuadratic) {
  for (const char* kind : {"sgd", "adam", "adamw"}) {
    Param p{"w", {3.0f, -2.0f}, {0, 0}};
    OptimizerConfig c;
    c.kind = kind;
    Optimizer opt(c);
    for (int i = 0; i < 500; ++i) {
      p.g = {2 * p.w[0], 2 * p.w[1]};  // d/dw of |w|^2
      opt.step({&p}, kind == std::string("sgd") ? 0.05f : 0.05f);
    }
    EXPECT_NEAR(p.w[0], 0.0f, 0.05f) << kind;
    EXPECT_NEAR(p.w[1], 0.0f, 0.05f) << kind;
  }
}
